package io.pgtrickle.cdc.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.changelog.ChangeAction;
import io.pgtrickle.changelog.ChangeLogBackend;
import io.pgtrickle.changelog.ChangeLogBackends;
import io.pgtrickle.changelog.support.PostgresServer;
import io.pgtrickle.changelog.support.ServerProcess;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Asynchronous replication: a batch is published once the most advanced streaming standby flushed
 * it, and after {@code PGTRICKLE_ASYNC_STANDBY_HOLD_MS} anyway, counted as unprotected. A primary
 * and a standby made from a copy of its data directory; the standby stops receiving when its
 * walsender on the primary is frozen (SIGSTOP), as a standby behind a slow link would.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class AsyncStandbyHoldIT {

  private static final String UNPROTECTED = "pg_trickle_cdc_unprotected_publishes";

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
          assertThat(inserts(log, source))
              .as("held while the standby lacks the commit")
              .isEqualTo(1);
          ServerProcess.run(List.of("kill", "-CONT", walsender), 10);
          awaitInserts(log, source, 2, Duration.ofSeconds(10));
          assertThat(consumer.counter(UNPROTECTED)).as("nothing published unprotected").isZero();
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
          } finally {
            ServerProcess.run(List.of("kill", "-CONT", walsender), 10);
          }
        });
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

  private static long inserts(LogReader log, long source) {
    return log.events(source).stream().filter(e -> e.action() == ChangeAction.INSERT).count();
  }

  private static void awaitInserts(LogReader log, long source, long count, Duration timeout) {
    Consumers.await(count + " inserts published", timeout, () -> inserts(log, source) >= count);
  }
}
