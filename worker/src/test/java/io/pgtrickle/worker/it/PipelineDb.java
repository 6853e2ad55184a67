package io.pgtrickle.worker.it;

import io.pgtrickle.changelog.support.PostgresServer;
import io.pgtrickle.worker.catalog.CatalogMigrations;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The database of the pipeline tests: a throwaway PostgreSQL (change-log's {@link PostgresServer}
 * harness) with logical replication on, the pgtrickle catalog installed, and a second database
 * {@code changelog} for the PostgreSQL change-log backend. Stream tables are created through the
 * catalog contract (CONTRACTS.md §1), the way the SQL front door writes them.
 */
public final class PipelineDb implements AutoCloseable {

  private static final Map<Integer, String> PYPI =
      Map.of(14, "14.23.0", 16, "16.15.0", 17, "17.11.0", 18, "18.6.0");

  private final PostgresServer server;
  private final int major;

  private PipelineDb(PostgresServer server, int major) {
    this.server = server;
    this.major = major;
  }

  /** The major of {@code -Dit.pg.version} (default 15). */
  public static PipelineDb start() {
    return start(Integer.getInteger("it.pg.version", 15));
  }

  /** A server of the given major, 14 to 18. */
  public static PipelineDb start(int major) {
    PipelineDb db =
        new PipelineDb(
            PostgresServer.start(
                bin(major),
                "-c wal_level=logical -c max_replication_slots=20 -c max_wal_senders=20"
                    + " -c wal_sender_timeout=20s"),
            major);
    db.sql("CREATE DATABASE changelog");
    CatalogMigrations.migrate(db.jdbcUrl(), "postgres", null);
    return db;
  }

  /** The binaries of a major; fails naming the install command when missing. */
  public static Path bin(int major) {
    Path bin =
        major == 15
            ? PostgresServer.defaultBin()
            : Path.of(
                    System.getenv().getOrDefault("PG_BINARIES_ROOT", "/opt/pg-trickle/postgresql"))
                .resolve(PYPI.getOrDefault(major, "none"))
                .resolve("bin");
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

  /** JDBC URL of the database {@code postgres}, without user. */
  public String jdbcUrl() {
    return "jdbc:postgresql://127.0.0.1:" + server.port() + "/postgres";
  }

  /** The change-log URI of the PostgreSQL backend in database {@code changelog}. */
  public String changeLogUri() {
    return "postgresql://127.0.0.1:" + server.port() + "/changelog?user=postgres";
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

  /** The first column of every row, as text. */
  public List<String> column(String query, Object... params) {
    try (Connection c = connect();
        PreparedStatement ps = c.prepareStatement(query)) {
      for (int i = 0; i < params.length; i++) {
        ps.setObject(i + 1, params[i]);
      }
      try (ResultSet rs = ps.executeQuery()) {
        List<String> out = new ArrayList<>();
        while (rs.next()) {
          out.add(rs.getString(1));
        }
        return out;
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e.getMessage(), e);
    }
  }

  /** The first column of the first row, as text ({@code null} if none). */
  public String one(String query, Object... params) {
    List<String> rows = column(query, params);
    return rows.isEmpty() ? null : rows.get(0);
  }

  /**
   * Creates a stream table as the front door does: sources get REPLICA IDENTITY FULL, the storage
   * table is created from the query with no data, and the catalog rows are written.
   *
   * @param name the stream table, in schema public
   * @param query the defining query (names schema-qualified)
   * @param schedule the schedule, {@code null} for calculated
   * @param sources base tables read, {@code schema.table}
   * @param upstream stream tables read, {@code schema.table}
   * @return the pgt_id
   */
  public long createStreamTable(
      String name, String query, String schedule, List<String> sources, List<String> upstream) {
    try (Connection c = connect()) {
      c.setAutoCommit(false);
      try (Statement s = c.createStatement()) {
        for (String src : sources) {
          s.execute("ALTER TABLE " + src + " REPLICA IDENTITY FULL");
        }
        s.execute("CREATE TABLE public." + name + " AS " + query + " WITH NO DATA");
      }
      long id;
      try (PreparedStatement ps =
          c.prepareStatement(
              "INSERT INTO pgtrickle.pgt_stream_tables (pgt_relid, pgt_schema, pgt_name,"
                  + " defining_query, schedule, refresh_mode, requested_refresh_mode)"
                  + " VALUES (?::regclass, 'public', ?, ?, ?, 'FULL', 'AUTO') RETURNING pgt_id")) {
        ps.setString(1, "public." + name);
        ps.setString(2, name);
        ps.setString(3, query);
        ps.setString(4, schedule);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          id = rs.getLong(1);
        }
      }
      for (String src : sources) {
        dependency(c, id, src, "TABLE");
        try (PreparedStatement ps =
            c.prepareStatement(
                "INSERT INTO pgtrickle.pgt_change_tracking (source_relid, tracked_by_pgt_ids)"
                    + " VALUES (?::regclass, ARRAY[?::bigint]) ON CONFLICT (source_relid) DO UPDATE"
                    + " SET tracked_by_pgt_ids = pgt_change_tracking.tracked_by_pgt_ids"
                    + " || EXCLUDED.tracked_by_pgt_ids")) {
          ps.setString(1, src);
          ps.setLong(2, id);
          ps.executeUpdate();
        }
      }
      for (String up : upstream) {
        dependency(c, id, up, "STREAM_TABLE");
      }
      c.commit();
      return id;
    } catch (SQLException e) {
      throw new IllegalStateException(e.getMessage(), e);
    }
  }

  private static void dependency(Connection c, long id, String relation, String type)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO pgtrickle.pgt_dependencies (pgt_id, source_relid, source_type)"
                + " VALUES (?, ?::regclass, ?)")) {
      ps.setLong(1, id);
      ps.setString(2, relation);
      ps.setString(3, type);
      ps.executeUpdate();
    }
  }

  /**
   * Plays the cdc-consumer's part of CONTRACTS.md §2 for a consumer run with {@code --tables}: once
   * its slot exists (and so its publication), every transaction committing from now on is captured,
   * so the unclaimed sources get the slot and {@code captured_since_lsn}.
   *
   * @param slot the consumer's slot
   */
  public void markCaptured(String slot) {
    try (Connection c = connect();
        PreparedStatement ps =
            c.prepareStatement(
                "UPDATE pgtrickle.pgt_change_tracking SET slot_name = ?,"
                    + " captured_since_lsn = pg_current_wal_insert_lsn()"
                    + " WHERE slot_name IS NULL")) {
      ps.setString(1, slot);
      ps.executeUpdate();
    } catch (SQLException e) {
      throw new IllegalStateException(e.getMessage(), e);
    }
  }

  @Override
  public void close() {
    server.close();
  }
}
