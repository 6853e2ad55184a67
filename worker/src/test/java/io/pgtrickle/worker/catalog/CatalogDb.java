package io.pgtrickle.worker.catalog;

import io.pgtrickle.changelog.support.PostgresServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A throwaway PostgreSQL server for the catalog's integration tests (change-log's {@link
 * PostgresServer} harness: initdb in target/, free port, unprivileged user when run as root), with
 * helpers to open connections and create databases.
 */
public final class CatalogDb implements AutoCloseable {

  /** Where each major's binaries are: Debian's 15, the others installed by install-deps.sh. */
  private static final Map<Integer, String> VERSIONS =
      Map.of(14, "14.23.0", 16, "16.15.0", 17, "17.11.0", 18, "18.6.0");

  /** Every major the SQL API supports. */
  public static final List<Integer> MAJORS = List.of(14, 15, 16, 17, 18);

  private final PostgresServer server;
  private final int major;

  private CatalogDb(PostgresServer server, int major) {
    this.server = server;
    this.major = major;
  }

  /** The major the tests run on: {@code -Dit.pg.version=N}, default 15. */
  public static int defaultMajor() {
    return Integer.getInteger("it.pg.version", 15);
  }

  /** Starts a server of the default major. */
  public static CatalogDb start() {
    return start(defaultMajor());
  }

  /** Starts a server of {@code major} (14 to 18). */
  public static CatalogDb start(int major) {
    return new CatalogDb(PostgresServer.start(bin(major), ""), major);
  }

  /** The binaries of {@code major}; fails naming the install command if they are missing. */
  public static Path bin(int major) {
    Path bin;
    if (major == 15) {
      bin = PostgresServer.defaultBin();
    } else {
      String v = VERSIONS.get(major);
      if (v == null) {
        throw new IllegalArgumentException("PostgreSQL " + major + " is not supported (14-18)");
      }
      Path root =
          Path.of(System.getenv().getOrDefault("PG_BINARIES_ROOT", "/opt/pg-trickle/postgresql"));
      bin = root.resolve(v).resolve("bin");
    }
    if (!Files.isExecutable(bin.resolve("postgres"))) {
      throw new IllegalStateException(
          "PostgreSQL " + major + " not found at " + bin + "; run hack/install-deps.sh pgmajors");
    }
    return bin;
  }

  public int major() {
    return major;
  }

  public PostgresServer server() {
    return server;
  }

  /** JDBC URL of {@code database} (no user). */
  public String url(String database) {
    return "jdbc:postgresql://127.0.0.1:" + server.port() + "/" + database;
  }

  /** A connection to {@code database} as {@code user} (trust authentication). */
  public Connection connect(String database, String user) throws SQLException {
    return DriverManager.getConnection(url(database) + "?user=" + user);
  }

  /** A connection to {@code database} as the superuser {@code postgres}. */
  public Connection connect(String database) throws SQLException {
    return connect(database, "postgres");
  }

  /** Creates a fresh database and returns its name. */
  public String createDatabase(String name) {
    sql("postgres", "CREATE DATABASE " + name);
    return name;
  }

  /** Runs statements as {@code postgres}, each in its own transaction. */
  public void sql(String database, String... statements) {
    try (Connection c = connect(database);
        Statement s = c.createStatement()) {
      for (String sql : statements) {
        s.execute(sql);
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e.getMessage(), e);
    }
  }

  /** The first column of every row of a query, as text. */
  public List<String> column(String database, String query) {
    try (Connection c = connect(database);
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(query)) {
      List<String> out = new ArrayList<>();
      while (rs.next()) {
        out.add(rs.getString(1));
      }
      return out;
    } catch (SQLException e) {
      throw new IllegalStateException(e.getMessage(), e);
    }
  }

  /** The first column of the first row, as text ({@code null} if no row). */
  public String one(String database, String query) {
    List<String> rows = column(database, query);
    return rows.isEmpty() ? null : rows.get(0);
  }

  private String template;
  private int databases;

  /**
   * A fresh database with the catalog installed: a copy of a template database migrated once per
   * server, so each test starts from an empty catalog in milliseconds.
   */
  public synchronized String freshDatabase() {
    if (template == null) {
      template = createDatabase("catalog_template");
      migrate(template);
    }
    databases++;
    String name = "db" + databases;
    sql("postgres", "CREATE DATABASE " + name + " TEMPLATE " + template);
    return name;
  }

  /** Installs the catalog in {@code database} as {@code postgres}. */
  public CatalogMigrations.Result migrate(String database) {
    return CatalogMigrations.migrate(url(database), "postgres", null);
  }

  @Override
  public void close() {
    server.close();
  }
}
