package io.pgtrickle.cdc.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.changelog.ChangeLogBackend;
import io.pgtrickle.changelog.ChangeLogBackends;
import io.pgtrickle.changelog.support.PostgresServer;
import io.pgtrickle.changelog.support.ServerProcess;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.postgresql.PGConnection;
import org.postgresql.replication.LogSequenceNumber;
import org.postgresql.replication.PGReplicationStream;

/**
 * Asynchronous replication: a batch is published once the most advanced streaming standby flushed
 * it, and after {@code PGTRICKLE_ASYNC_STANDBY_HOLD_MS} anyway, counted as unprotected. A primary
 * and a standby made from a copy of its data directory; the standby stops receiving when its
 * walsender on the primary is frozen (SIGSTOP), as a standby behind a slow link would. A standby
 * still catching up is not waited for.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class AsyncStandbyHoldIT {

  private static final String UNPROTECTED = "pg_trickle_cdc_unprotected_publishes";
  private static final String STANDBY_WAIT = "pg_trickle_cdc_standby_wait";

  @Test
  void aBatchWaitsUntilTheStandbyFlushedIt() throws Exception {
    withStandby(
        "hold_flush",
        30_000,
        (db, log, consumer, source) -> {
          db.sql("INSERT INTO t VALUES (1)");
          awaitInserts(log, source, 1, Duration.ofSeconds(10));
          String walsender = freeze(db);
          db.sql("INSERT INTO t VALUES (2)");
          Thread.sleep(1500);
          assertThat(log.inserts(source))
              .as("held while the standby lacks the commit")
              .isEqualTo(1);
          ServerProcess.run(List.of("kill", "-CONT", walsender), 10);
          awaitInserts(log, source, 2, Duration.ofSeconds(10));
          assertThat(consumer.counter(UNPROTECTED)).as("nothing published unprotected").isZero();
          assertThat(consumer.timerMaxMillis(STANDBY_WAIT))
              .as("the wait for the standby is measured (held about 1.5 s)")
              .isGreaterThanOrEqualTo(1000);
        });
  }

  @Test
  void aStandbyThatStaysBehindHoldsABatchOnlyForTheBound() throws Exception {
    withStandby(
        "hold_bound",
        2000,
        (db, log, consumer, source) -> {
          db.sql("INSERT INTO t VALUES (1)");
          awaitInserts(log, source, 1, Duration.ofSeconds(10));
          String walsender = freeze(db);
          try {
            long start = System.nanoTime();
            db.sql("INSERT INTO t VALUES (2)");
            awaitInserts(log, source, 2, Duration.ofSeconds(20));
            assertThat(Duration.ofNanos(System.nanoTime() - start))
                .as("held for the bound, then published")
                .isGreaterThanOrEqualTo(Duration.ofMillis(1900));
            assertThat(consumer.counter(UNPROTECTED)).as("counted as unprotected").isEqualTo(1);
            assertThat(consumer.timerMaxMillis(STANDBY_WAIT))
                .as("the wait up to the bound is measured")
                .isGreaterThanOrEqualTo(1500);
          } finally {
            ServerProcess.run(List.of("kill", "-CONT", walsender), 10);
          }
        });
  }

  /**
   * A standby in state {@code catchup} (a new or rebuilt replica working through its backlog) is
   * not waited for: with a 30 s bound, a batch goes at once and counts as protected-or-not-needed,
   * not as unprotected. The standby: a physical replication client started from a slot 64 MB behind
   * the primary that never reads, so its walsender stays in {@code catchup}; it is this consumer's
   * only physical standby.
   */
  @Test
  void aStandbyCatchingUpIsNotWaitedFor() throws Exception {
    try (SourceDb db = SourceDb.start()) {
      db.sql("CREATE TABLE t (id int8 PRIMARY KEY)", "CREATE TABLE ballast (v text)");
      long source = db.relationOid("t");
      db.sql("SELECT pg_create_physical_replication_slot('rebuilding', true)");
      String from = db.queryOne("SELECT restart_lsn::text FROM pg_replication_slots");
      db.sql(
          "INSERT INTO ballast SELECT repeat(md5(i::text), 8) FROM generate_series(1, 200000) i");
      String uri = ServerProcess.targetDir("hold_catchup").resolve("log").toUri().toString();
      try (StalledStandby standby = StalledStandby.start(db, "rebuilding", from);
          ChangeLogBackend log = ChangeLogBackends.open(uri)) {
        Consumers.await(
            "the standby catching up",
            Duration.ofSeconds(10),
            () ->
                "catchup"
                    .equals(
                        db.queryOne(
                            "SELECT state FROM pg_stat_replication"
                                + " WHERE application_name = 'rebuilding'")));
        Map<String, String> env = Consumers.env(db, "t", "hold_catchup", uri);
        env.put("PGTRICKLE_ASYNC_STANDBY_HOLD_MS", "30000");
        try (Consumers.InProcess consumer = new Consumers.InProcess(env, log, null)) {
          Consumers.await("streaming", Duration.ofSeconds(30), consumer.state::streaming);
          long start = System.nanoTime();
          db.sql("INSERT INTO t VALUES (1)");
          LogReader reader = new LogReader(log);
          awaitInserts(reader, source, 1, Duration.ofSeconds(10));
          assertThat(Duration.ofNanos(System.nanoTime() - start))
              .as("not held for the 30 s bound")
              .isLessThan(Duration.ofSeconds(10));
          assertThat(consumer.counter(UNPROTECTED)).as("not counted as unprotected").isZero();
          assertThat(
                  db.queryOne(
                      "SELECT state FROM pg_stat_replication"
                          + " WHERE application_name = 'rebuilding'"))
              .as("the standby was still catching up")
              .isEqualTo("catchup");
        }
      }
    }
  }

  /**
   * A physical replication client from a slot's old position that reads nothing (its walsender
   * blocks on a full socket, in state {@code catchup}) and reports that old position every 500 ms,
   * so that {@code wal_sender_timeout} does not end it.
   */
  private static final class StalledStandby implements AutoCloseable {
    private final Connection connection;
    private final PGReplicationStream stream;
    private final Thread thread;
    private volatile boolean closed;

    private StalledStandby(Connection connection, PGReplicationStream stream) {
      this.connection = connection;
      this.stream = stream;
      this.thread =
          new Thread(
              () -> {
                try {
                  while (!closed) {
                    stream.forceUpdateStatus();
                    Thread.sleep(500);
                  }
                } catch (SQLException | InterruptedException e) {
                  closed = true;
                }
              },
              "stalled-standby");
      thread.setDaemon(true);
      thread.start();
    }

    static StalledStandby start(SourceDb db, String slot, String from) throws SQLException {
      Connection c = ScriptedStandby.physicalReplication(db, slot);
      PGReplicationStream stream =
          c.unwrap(PGConnection.class)
              .getReplicationAPI()
              .replicationStream()
              .physical()
              .withSlotName(slot)
              .withStartPosition(LogSequenceNumber.valueOf(from))
              .withStatusInterval(500, TimeUnit.MILLISECONDS)
              .withAutomaticFlush(false)
              .start();
      return new StalledStandby(c, stream);
    }

    @Override
    public void close() throws Exception {
      closed = true;
      thread.join(5000);
      connection.close(); // the stream with it; closing the stream first would read the backlog
    }
  }

  private interface Scenario {
    void run(SourceDb db, LogReader log, Consumers.InProcess consumer, long source)
        throws Exception;
  }

  private static void withStandby(String slot, long holdMillis, Scenario scenario)
      throws Exception {
    try (SourceDb db = SourceDb.start()) {
      db.sql("CREATE TABLE t (id int8 PRIMARY KEY)");
      long source = db.relationOid("t");
      String uri = ServerProcess.targetDir(slot).resolve("log").toUri().toString();
      try (PostgresServer standby =
              db.server().startStandbyCopy(slot + "_standby", "-c hot_standby_feedback=on");
          ChangeLogBackend log = ChangeLogBackends.open(uri)) {
        Map<String, String> env = Consumers.env(db, "t", slot, uri);
        env.put("PGTRICKLE_ASYNC_STANDBY_HOLD_MS", String.valueOf(holdMillis));
        Consumers.await(
            "the standby streaming",
            Duration.ofSeconds(60),
            () ->
                "1"
                    .equals(
                        db.queryOne(
                            "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")));
        try (Consumers.InProcess consumer = new Consumers.InProcess(env, log, null)) {
          Consumers.await("streaming", Duration.ofSeconds(30), consumer.state::streaming);
          scenario.run(db, new LogReader(log), consumer, source);
        }
      }
    }
  }

  /** Freezes the primary's walsender for the standby; returns its pid. */
  private static String freeze(SourceDb db) throws Exception {
    String walsender =
        db.queryOne("SELECT pid FROM pg_stat_replication WHERE application_name = 'standby'");
    assertThat(walsender).as("the standby's walsender").isNotNull();
    // The standby must have flushed everything so far first, or the next batch's wait would
    // include its catching up.
    String flushed = db.queryOne("SELECT pg_current_wal_flush_lsn()::text");
    Consumers.await(
        "the standby flushed everything so far",
        Duration.ofSeconds(30),
        () ->
            "t"
                .equals(
                    db.queryOne(
                        "SELECT flush_lsn >= '"
                            + flushed
                            + "' FROM pg_stat_replication WHERE application_name = 'standby'")));
    ServerProcess.run(List.of("kill", "-STOP", walsender), 10);
    return walsender;
  }

  private static void awaitInserts(LogReader log, long source, long count, Duration timeout) {
    Consumers.await(count + " inserts published", timeout, () -> log.inserts(source) >= count);
  }
}
