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
    return start(major, "");
  }

  /** A server of the given major with more {@code -c name=value} options (benchmarks). */
  public static PipelineDb start(int major, String extraOptions) {
    PipelineDb db =
        new PipelineDb(
            PostgresServer.start(
                bin(major),
                "-c wal_level=logical -c max_replication_slots=20 -c max_wal_senders=20"
                    + " -c wal_sender_timeout=20s "
                    + extraOptions),
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

  /** Runs statements as another user (trust authentication), each in its own transaction. */
  public void sqlAs(String user, String... statements) {
    try (Connection c = DriverManager.getConnection(jdbcUrl() + "?user=" + user);
        Statement s = c.createStatement()) {
      for (String sql : statements) {
        s.execute(sql);
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e.getMessage(), e);
    }
  }

  /**
   * The first column of every row, as text. Without parameters the query runs as a plain statement,
   * so that a {@code ?} operator in it (jsonb {@code ?}) is not taken for a placeholder.
   */
  public List<String> column(String query, Object... params) {
    try (Connection c = connect();
        Statement s = params.length == 0 ? c.createStatement() : c.prepareStatement(query)) {
      ResultSet result;
      if (s instanceof PreparedStatement ps) {
        for (int i = 0; i < params.length; i++) {
          ps.setObject(i + 1, params[i]);
        }
        result = ps.executeQuery();
      } else {
        result = s.executeQuery(query);
      }
      try (ResultSet rs = result) {
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
   * Creates a stream table through the SQL front door, {@code pgtrickle.create_stream_table} (which
   * gives the sources REPLICA IDENTITY FULL, creates the storage table and writes the catalog rows
   * the cdc-consumer and the worker follow).
   *
   * @param name the stream table, in schema public
   * @param query the defining query
   * @param schedule the schedule, {@code null} for 'calculated'
   * @return the pgt_id
   */
  public long createStreamTable(String name, String query, String schedule) {
    try (Connection c = connect();
        PreparedStatement ps =
            c.prepareStatement("SELECT pgtrickle.create_stream_table(?, ?, ?, 'AUTO')")) {
      ps.setString(1, "public." + name);
      ps.setString(2, query);
      ps.setString(3, schedule == null ? "calculated" : schedule);
      ps.execute();
    } catch (SQLException e) {
      throw new IllegalStateException(e.getMessage(), e);
    }
    return Long.parseLong(
        one(
            "SELECT pgt_id FROM pgtrickle.pgt_stream_tables WHERE pgt_relid = ?::regclass",
            "public." + name));
  }

  /**
   * Waits until the ingest copied everything written so far: every tracked source's {@code
   * ingested_lsn} at or past the current WAL position, asking the ingest as a refresh does ({@code
   * NOTIFY pgtrickle_ingest}, once a second).
   *
   * @param timeout the longest wait
   */
  public void awaitIngested(java.time.Duration timeout) {
    String written = one("SELECT pg_current_wal_insert_lsn()::text");
    long[] asked = {0};
    Children.await(
        "the ingest copied what was written up to " + written,
        timeout,
        () -> {
          if (System.nanoTime() - asked[0] > 1_000_000_000L) {
            sql("SELECT pg_notify('pgtrickle_ingest', '" + written + "')");
            asked[0] = System.nanoTime();
          }
          return "true"
              .equals(
                  one(
                      "SELECT bool_and(ingested_lsn >= ?::pg_lsn)::text"
                          + " FROM pgtrickle.pgt_change_tracking",
                      written));
        });
  }

  /**
   * Waits until every stream table is populated (by a worker's first refresh).
   *
   * @param timeout the longest wait
   */
  public void awaitPopulated(java.time.Duration timeout) {
    Children.await(
        "every stream table populated",
        timeout,
        () ->
            "0"
                .equals(
                    one(
                        "SELECT count(*) FROM pgtrickle.pgt_stream_tables"
                            + " WHERE NOT is_populated")));
  }

  /**
   * Waits until a cdc-consumer captures every tracked source (CONTRACTS.md §2: it claimed the row
   * and set {@code captured_since_lsn}).
   */
  public void awaitCaptured() {
    Children.await(
        "every tracked source captured",
        java.time.Duration.ofSeconds(60),
        () ->
            "0"
                .equals(
                    one(
                        "SELECT count(*) FROM pgtrickle.pgt_change_tracking"
                            + " WHERE captured_since_lsn IS NULL")));
  }

  /**
   * Waits until every stream table is fresh at {@code lsn}: each of its sources, base tables and
   * stream tables alike, has a frontier entry at or past it (for a stream-table source, the entry
   * is how far that source was fresh when the reader last refreshed, so a reader refreshed before
   * its source caught up keeps this waiting).
   *
   * @param lsn the position, e.g. {@code pg_current_wal_insert_lsn()} after the load stopped
   * @param timeout how long to wait
   * @param logs where to look on a timeout, for the message
   */
  public void awaitFresh(String lsn, java.time.Duration timeout, Object logs) {
    Children.await(
        "every stream table fresh at " + lsn + " (logs in " + logs + ")",
        timeout,
        () ->
            column(
                    "SELECT st.pgt_name FROM pgtrickle.pgt_stream_tables st"
                        + " JOIN pgtrickle.pgt_dependencies d USING (pgt_id)"
                        + " WHERE d.source_type IN ('TABLE', 'STREAM_TABLE')"
                        + " AND coalesce((st.frontier -> 'sources'"
                        + " ->> d.source_relid::oid::text)::pg_lsn < ?::pg_lsn, true)",
                    lsn)
                .isEmpty());
  }

  @Override
  public void close() {
    server.close();
  }
}
