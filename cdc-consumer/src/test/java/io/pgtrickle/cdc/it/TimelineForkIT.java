package io.pgtrickle.cdc.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.changelog.ChangeAction;
import io.pgtrickle.changelog.ChangeEvent;
import io.pgtrickle.changelog.ChangeLogBackend;
import io.pgtrickle.changelog.ChangeLogBackends;
import io.pgtrickle.changelog.Lsn;
import io.pgtrickle.changelog.support.PostgresServer;
import io.pgtrickle.changelog.support.ServerProcess;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A failover with asynchronous replication, where the consumer had published transactions the
 * promoted standby never received. A primary and a standby made from a copy of its data directory
 * (so the standby has a copy of the consumer's slot, as a Patroni permanent slot or a failover slot
 * gives it); the consumer streams through a URL that names both and wants the primary. The standby
 * stops receiving WAL, the primary commits transactions the consumer publishes, then the primary
 * crashes and the standby is promoted: timeline 2 starts where the standby's WAL ended, before the
 * end of what the consumer published, and the new primary's own transactions take the same
 * positions.
 *
 * <p>Asserted: after the failover the change log holds a GAP event for the table at or after every
 * transaction published from the former primary, and every row inserted on the new primary is in
 * the change log or committed before that GAP (so a worker's recompute at the GAP takes it in), and
 * the new primary's WAL is past the GAP, so a worker's window reaches it without more writes.
 * Before 2026-12-04 there was no such GAP: the transactions only the former primary had stayed in
 * the change log as if they had happened, and the new primary's inserts at the same positions were
 * dropped as already published, without a word.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class TimelineForkIT {

  private static final String SLOT = "fork";

  @Test
  void commitsTheNewPrimaryNeverHadAreMarkedByAGap() throws Exception {
    failoverAfterCommitsOnlyThePrimaryHad(false);
  }

  /**
   * The same failover while the consumer restarts: the new process does not know what the one
   * before it published, but its slot has not streamed on the new timeline, so it records the GAP
   * anyway, far enough ahead.
   */
  @Test
  void aConsumerStartedAtTheFailoverRecordsTheGapToo() throws Exception {
    failoverAfterCommitsOnlyThePrimaryHad(true);
  }

  /**
   * With the hold for the standby on (the default), the transactions the standby never received are
   * not published before the crash: after the failover the change log has no GAP and none of them,
   * and the new primary's inserts follow the last transaction the standby had.
   */
  @Test
  void heldTransactionsNeverReachTheChangeLogAndNoGapIsNeeded() throws Exception {
    withStandby(
        "fork-held",
        "60000",
        (db, standby, log, reader, source, env) -> {
          PostgresServer primary = db.server();
          try (Consumers.InProcess consumer = new Consumers.InProcess(env, log, null)) {
            Consumers.await("streaming", Duration.ofSeconds(30), consumer.state::streaming);
            db.sql("INSERT INTO t SELECT g, 'b' FROM generate_series(101, 200) g");
            awaitInserted(reader, source, 200);
            String flushed = db.queryOne("SELECT pg_current_wal_flush_lsn()::text");
            Consumers.await(
                "the standby flushed everything so far",
                Duration.ofSeconds(60),
                () -> holds(standby, "SELECT pg_last_wal_receive_lsn() >= '" + flushed + "'"));
            String walsender =
                db.queryOne(
                    "SELECT pid FROM pg_stat_replication WHERE application_name = 'standby'");
            ServerProcess.run(List.of("kill", "-STOP", walsender), 10);
            db.sql("INSERT INTO t SELECT g, 'c' FROM generate_series(1001, 1100) g");
            Thread.sleep(1000);
            assertThat(inserted(reader, source)).as("held: the standby lacks them").isEqualTo(200);

            primary.crash();
            execute(standby, "SELECT pg_promote(true, 60)");
            try (Connection c = connect(standby);
                Statement s = c.createStatement()) {
              s.execute("INSERT INTO t SELECT g, 'd' FROM generate_series(5001, 5100) g");
            }
            awaitInserted(reader, source, 300);
            List<ChangeEvent> events = Consumers.afterStartGap(reader.events(source));
            assertThat(events).noneMatch(e -> e.action() == ChangeAction.GAP);
            assertThat(
                    events.stream()
                        .filter(e -> e.action() == ChangeAction.INSERT)
                        .map(e -> Long.parseLong(String.valueOf(e.columns().get("id"))))
                        .filter(id -> id > 1000 && id <= 1100))
                .as("none of the transactions only the former primary had")
                .isEmpty();
            assertThat(consumer.counter("pg_trickle_cdc_unprotected_publishes")).isZero();
          }
        });
  }

  /** A failover scenario, given {@link #withStandby}'s servers, change log and settings. */
  private interface Scenario {
    void run(
        SourceDb db,
        PostgresServer standby,
        ChangeLogBackend log,
        LogReader reader,
        long source,
        Map<String, String> env)
        throws Exception;
  }

  /**
   * A source whose table {@code t} has 100 rows, published by a first consumer that created the
   * slot, and a standby made from a copy of the source's data directory afterwards (so it has a
   * copy of the slot); the consumer settings name both servers and want the primary.
   *
   * @param dir the change log's directory name
   * @param holdMillis {@code PGTRICKLE_ASYNC_STANDBY_HOLD_MS}
   * @param scenario what happens then
   */
  private static void withStandby(String dir, String holdMillis, Scenario scenario)
      throws Exception {
    try (SourceDb db = SourceDb.start()) {
      PostgresServer primary = db.server();
      db.sql("CREATE TABLE t (id int8 PRIMARY KEY, pad text)");
      long source = db.relationOid("t");
      String uri = ServerProcess.targetDir(dir).resolve("log").toUri().toString();
      Map<String, String> env = Consumers.env(db, "t", SLOT, uri);
      env.put("PGTRICKLE_ASYNC_STANDBY_HOLD_MS", holdMillis);
      try (ChangeLogBackend log = ChangeLogBackends.open(uri)) {
        LogReader reader = new LogReader(log);
        try (Consumers.InProcess first = new Consumers.InProcess(env, log, null)) {
          Consumers.await("streaming", Duration.ofSeconds(30), first.state::streaming);
          db.sql("INSERT INTO t SELECT g, 'a' FROM generate_series(1, 100) g");
          awaitInserted(reader, source, 100);
        }
        try (PostgresServer standby =
            primary.startStandbyCopy("fork_standby", "-c hot_standby_feedback=on")) {
          env.put(
              "PGTRICKLE_SOURCE_URL",
              "jdbc:postgresql://127.0.0.1:"
                  + primary.port()
                  + ",127.0.0.1:"
                  + standby.port()
                  + "/postgres?targetServerType=primary");
          scenario.run(db, standby, log, reader, source, env);
        }
      }
    }
  }

  private static void failoverAfterCommitsOnlyThePrimaryHad(boolean restartAtFailover)
      throws Exception {
    // The hold for the standby off: the consumer publishes what the standby never received.
    withStandby(
        "fork",
        "0",
        (db, standby, log, reader, source, env) -> {
          PostgresServer primary = db.server();
          Consumers.InProcess consumer = new Consumers.InProcess(env, log, null);
          try {
            Consumers.await("streaming", Duration.ofSeconds(30), consumer.state::streaming);
            db.sql("INSERT INTO t SELECT g, 'b' FROM generate_series(101, 200) g");
            awaitInserted(reader, source, 200);
            String flushed = db.queryOne("SELECT pg_current_wal_flush_lsn()::text");
            Consumers.await(
                "the standby replayed everything so far",
                Duration.ofSeconds(60),
                () ->
                    holds(standby, "SELECT pg_last_wal_replay_lsn() >= '" + flushed + "'::pg_lsn"));

            // The standby stops receiving: the primary's walsender for it is frozen (SIGSTOP), and
            // the primary goes on alone, as under asynchronous replication a primary runs ahead of
            // its standby. The consumer's walsender is another process.
            String walsender =
                db.queryOne(
                    "SELECT pid FROM pg_stat_replication WHERE application_name = 'standby'");
            assertThat(walsender).as("the standby's walsender on the primary").isNotNull();
            ServerProcess.run(List.of("kill", "-STOP", walsender), 10);
            for (int i = 0; i < 20; i++) {
              db.sql(
                  "INSERT INTO t SELECT g, repeat('c', 500) FROM generate_series("
                      + (1001 + i * 100)
                      + ", "
                      + (1000 + (i + 1) * 100)
                      + ") g");
            }
            awaitInserted(reader, source, 2200);
            Lsn lastPublished = last(reader.events(source)).lsn();
            assertThat(
                    holds(
                        standby,
                        "SELECT pg_last_wal_receive_lsn() < '"
                            + lastPublished.walPosition().walText()
                            + "'::pg_lsn"))
                .as("the standby did not receive the last published transaction")
                .isTrue();

            if (restartAtFailover) {
              consumer.close();
            }
            primary.crash();
            execute(standby, "SELECT pg_promote(true, 60)");
            if (restartAtFailover) {
              consumer = new Consumers.InProcess(env, log, null);
            }
            Consumers.await(
                "the consumer streaming from the promoted standby",
                Duration.ofSeconds(60),
                () ->
                    holds(
                        standby,
                        "SELECT count(*) = 1 FROM pg_replication_slots WHERE slot_name = '"
                            + SLOT
                            + "' AND active"));

            // The new primary's own transactions, at positions the old timeline had used.
            Map<Integer, Lsn> committedBy = new LinkedHashMap<>();
            try (Connection c = connect(standby);
                Statement s = c.createStatement()) {
              for (int id = 5001; id <= 5100; id++) {
                s.execute("INSERT INTO t VALUES (" + id + ", 'd')");
                try (ResultSet rs = s.executeQuery("SELECT pg_current_wal_insert_lsn()::text")) {
                  rs.next();
                  committedBy.put(id, Lsn.parse(rs.getString(1)));
                }
              }
            }
            Consumers.await(
                "a GAP event after the transactions published from the former primary (of the"
                    + " new primary's 100 inserts, "
                    + uncovered(reader.events(source), committedBy, Lsn.ZERO).size()
                    + " are not in the change log)",
                Duration.ofSeconds(60),
                () -> gapAfter(reader.events(source), lastPublished).isPresent());
            Lsn gap = gapAfter(reader.events(source), lastPublished).orElseThrow();
            assertThat(
                    holds(
                        standby,
                        "SELECT pg_current_wal_insert_lsn() > '"
                            + gap.walPosition().walText()
                            + "'::pg_lsn"))
                .as(
                    "the new primary's WAL is past the GAP (the consumer wrote the difference), so"
                        + " a worker's window reaches it without waiting for the source's writes")
                .isTrue();
            Consumers.await(
                "each insert on the new primary in the change log or before the GAP",
                Duration.ofSeconds(60),
                () -> uncovered(reader.events(source), committedBy, gap).isEmpty());
            assertThat(uncovered(reader.events(source), committedBy, gap)).isEmpty();
          } finally {
            consumer.close();
          }
        });
  }

  /** The position of the first GAP event at or after {@code position}, if any. */
  private static Optional<Lsn> gapAfter(List<ChangeEvent> events, Lsn position) {
    return events.stream()
        .filter(e -> e.action() == ChangeAction.GAP && e.lsn().compareTo(position) >= 0)
        .map(ChangeEvent::lsn)
        .findFirst();
  }

  /** Rows of {@code committedBy} neither in the change log nor committed before {@code gap}. */
  private static List<Integer> uncovered(
      List<ChangeEvent> events, Map<Integer, Lsn> committedBy, Lsn gap) {
    List<String> logged =
        events.stream()
            .filter(e -> e.action() == ChangeAction.INSERT)
            .map(e -> String.valueOf(e.columns().get("id")))
            .toList();
    return committedBy.entrySet().stream()
        .filter(e -> !logged.contains(String.valueOf(e.getKey())))
        .filter(e -> e.getValue().walPosition().isAfter(gap.walPosition()))
        .map(Map.Entry::getKey)
        .toList();
  }

  private static ChangeEvent last(List<ChangeEvent> events) {
    return events.get(events.size() - 1);
  }

  private static long inserted(LogReader reader, long source) {
    return reader.events(source).stream().filter(e -> e.action() == ChangeAction.INSERT).count();
  }

  private static void awaitInserted(LogReader reader, long source, long count) {
    Consumers.await(
        count + " inserts published",
        Duration.ofSeconds(60),
        () ->
            reader.events(source).stream().filter(e -> e.action() == ChangeAction.INSERT).count()
                >= count);
  }

  private static Connection connect(PostgresServer server) throws SQLException {
    return DriverManager.getConnection(server.jdbcUrl());
  }

  private static void execute(PostgresServer server, String... statements) throws SQLException {
    try (Connection c = connect(server);
        Statement s = c.createStatement()) {
      for (String sql : statements) {
        s.execute(sql);
      }
    }
  }

  /** Whether a boolean query answers true on {@code server} (false if it cannot be asked). */
  private static boolean holds(PostgresServer server, String sql) {
    try (Connection c = connect(server);
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      return rs.next() && rs.getBoolean(1);
    } catch (SQLException e) {
      return false;
    }
  }
}
