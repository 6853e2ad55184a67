package io.pgtrickle.worker.catalog;

import static io.pgtrickle.worker.catalog.SqlErrors.assertFails;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.postgresql.util.PSQLException;

/**
 * refresh_stream_table: the protocol with the workers (worker/README.md), with this test playing
 * the worker: it sees the request in pg_stat_activity and advances the frontier.
 */
class RefreshProtocolIT {

  private static CatalogDb db;
  private String d;
  private Connection caller;
  private Connection worker;

  @BeforeAll
  static void start() {
    db = CatalogDb.start();
    db.sql("postgres", "CREATE ROLE watcher LOGIN");
  }

  @AfterAll
  static void stop() {
    if (db != null) {
      db.close();
    }
  }

  @BeforeEach
  void database() throws Exception {
    d = db.freshDatabase();
    caller = db.connect(d);
    worker = db.connect(d);
    db.sql(
        d,
        "CREATE TABLE orders (id int PRIMARY KEY, customer int, amount numeric)",
        "CREATE TABLE customers (id int PRIMARY KEY, name text)",
        "SELECT pgtrickle.create_stream_table('spend', 'SELECT c.name, sum(o.amount) AS total"
            + " FROM orders o JOIN customers c ON c.id = o.customer GROUP BY c.name', '1h')");
  }

  @AfterEach
  void close() throws Exception {
    caller.close();
    worker.close();
  }

  private CompletableFuture<Void> refreshInBackground() {
    return CompletableFuture.runAsync(
        () -> {
          try (Statement s = caller.createStatement()) {
            s.execute("SELECT pgtrickle.refresh_stream_table('spend')");
          } catch (SQLException e) {
            throw new IllegalStateException(e);
          }
        });
  }

  /** What a worker sees: the request in pg_stat_activity, read as an unprivileged role. */
  private String awaitRequest() throws Exception {
    AtomicReference<String> seen = new AtomicReference<>();
    try (Connection w = db.connect(d, "watcher")) {
      await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () -> {
                try (Statement s = w.createStatement();
                    var rs =
                        s.executeQuery(
                            "SELECT application_name FROM pg_stat_activity"
                                + " WHERE application_name LIKE 'pgtrickle refresh %'")) {
                  if (rs.next()) {
                    seen.set(rs.getString(1));
                    return true;
                  }
                  return false;
                }
              });
    }
    return seen.get();
  }

  private void playWorker(String sql) throws SQLException {
    try (Statement s = worker.createStatement()) {
      s.execute(sql);
    }
  }

  private String frontier(String ordersLsn, String customersLsn) {
    return "jsonb_build_object('sources', jsonb_build_object("
        + "'orders'::regclass::oid::text, '"
        + ordersLsn
        + "', 'customers'::regclass::oid::text, '"
        + customersLsn
        + "'))";
  }

  @Test
  void waitsUntilTheFrontierOfEverySourcePassesTheCallsPosition() throws Exception {
    String id = db.one(d, "SELECT pgt_id FROM pgtrickle.pgt_stream_tables");
    // A change committed before the call.
    db.sql(d, "INSERT INTO customers VALUES (1, 'ann')");
    String committed = db.one(d, "SELECT pg_current_wal_insert_lsn()");
    CompletableFuture<Void> refresh = refreshInBackground();
    String request = awaitRequest();
    assertThat(request).matches("pgtrickle refresh " + id + " [0-9A-F]+/[0-9A-F]+");
    String target = request.substring(request.lastIndexOf(' ') + 1);
    assertThat(db.one(d, "SELECT '" + target + "'::pg_lsn >= '" + committed + "'::pg_lsn"))
        .isEqualTo("t");

    // Populated, but one source still below the position: the caller keeps waiting.
    playWorker(
        "UPDATE pgtrickle.pgt_stream_tables SET status = 'ACTIVE', is_populated = true,"
            + " frontier = "
            + frontier(target, "0/1"));
    assertThat(
            refresh
                .handle((v, e) -> "done")
                .completeOnTimeout("waiting", 700, TimeUnit.MILLISECONDS)
                .get())
        .isEqualTo("waiting");
    // Both sources at the position: it returns.
    playWorker("UPDATE pgtrickle.pgt_stream_tables SET frontier = " + frontier(target, target));
    refresh.get(30, TimeUnit.SECONDS);
    // The request is gone with the call (the caller's application_name is back).
    try (Statement s = caller.createStatement();
        var rs = s.executeQuery("SHOW application_name")) {
      rs.next();
      assertThat(rs.getString(1)).doesNotStartWith("pgtrickle refresh");
    }
  }

  @Test
  void aTableThatGoesToErrorEndsTheWaitWithTheWorkersMessage() throws Exception {
    CompletableFuture<Void> refresh = refreshInBackground();
    awaitRequest();
    playWorker(
        "UPDATE pgtrickle.pgt_stream_tables SET status = 'ERROR', last_error_message ="
            + " 'column \"amount\" of orders was dropped'");
    ExecutionException e =
        org.junit.jupiter.api.Assertions.assertThrows(
            ExecutionException.class, () -> refresh.get(30, TimeUnit.SECONDS));
    PSQLException cause = (PSQLException) e.getCause().getCause();
    assertThat(cause.getSQLState()).isEqualTo("55000");
    assertThat(cause.getServerErrorMessage().getMessage())
        .contains("refresh of stream table public.spend failed", "was dropped");
    // Now in ERROR: refused at once, with the way out.
    assertFails(
        caller,
        "SELECT pgtrickle.refresh_stream_table('spend')",
        "55000",
        "is in ERROR",
        "resume_stream_table");
  }

  @Test
  void aDropOrAPauseWhileWaitingEndsTheWait() throws Exception {
    CompletableFuture<Void> paused = refreshInBackground();
    awaitRequest();
    playWorker("UPDATE pgtrickle.pgt_stream_tables SET status = 'SUSPENDED'");
    ExecutionException e =
        org.junit.jupiter.api.Assertions.assertThrows(
            ExecutionException.class, () -> paused.get(30, TimeUnit.SECONDS));
    assertThat(((PSQLException) e.getCause().getCause()).getSQLState()).isEqualTo("55000");
    assertFails(caller, "SELECT pgtrickle.refresh_stream_table('spend')", "55000", "paused");

    playWorker("UPDATE pgtrickle.pgt_stream_tables SET status = 'INITIALIZING'");
    CompletableFuture<Void> dropped = refreshInBackground();
    awaitRequest();
    playWorker("DELETE FROM pgtrickle.pgt_stream_tables");
    e =
        org.junit.jupiter.api.Assertions.assertThrows(
            ExecutionException.class, () -> dropped.get(30, TimeUnit.SECONDS));
    assertThat(((PSQLException) e.getCause().getCause()).getSQLState()).isEqualTo("42P01");
  }

  @Test
  void refusesSnapshotIsolationAndHonoursStatementTimeout() throws Exception {
    for (String level : List.of("REPEATABLE READ", "SERIALIZABLE")) {
      try (Statement s = caller.createStatement()) {
        s.execute("BEGIN ISOLATION LEVEL " + level);
        assertFails(
            caller,
            "SELECT pgtrickle.refresh_stream_table('spend')",
            "25001",
            level,
            "READ COMMITTED");
        s.execute("ROLLBACK");
      }
    }
    try (Statement s = caller.createStatement()) {
      s.execute("SET statement_timeout = '300ms'");
    }
    assertFails(caller, "SELECT pgtrickle.refresh_stream_table('spend')", "57014");
    assertFails(caller, "SELECT pgtrickle.refresh_stream_table('nope')", "42P01", "nope");
  }
}
