package io.pgtrickle.cdc.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgtrickle.changelog.ChangeAction;
import io.pgtrickle.changelog.ChangeEvent;
import io.pgtrickle.changelog.ChangeLogBackend;
import io.pgtrickle.changelog.ChangeLogBackends;
import io.pgtrickle.changelog.support.ThrottledProxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A source whose change log is on its own server (the PostgreSQL change log of a
 * StreamTableCluster) shuts down promptly under writes. A fast shutdown terminates the consumer's
 * change-log connection at once, while the replication session's walsender sends the last commits
 * and waits for the consumer to confirm them before it exits. Until 2026-12-05 the consumer retried
 * the refused publish for good, so the shutdown waited until pg_ctl (here) or Patroni (a
 * switchover: about 2 minutes, in 5 of 7 CI runs) gave up; now a publish failing while the source
 * refuses connections as shutting down ends the session, the walsender exits, and the batch is read
 * again once the server is back. Every committed row then is in the change log exactly once.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class SourceShutdownIT {

  private static final int WRITERS = 4;

  @Test
  void aSourceShuttingDownUnderWritesIsNotHeldUpAndLosesNothing() throws Exception {
    shutDownUnderWrites("");
  }

  /**
   * The same with the server's messages in German: a refused connection speaks the server's {@code
   * lc_messages}, and until 2026-12-05 only the English message was recognised, so the shutdown
   * waited here as it did in English before (the stop took the 60 s of pg_ctl's wait). Needs the
   * de_DE.UTF-8 locale (hack/install-deps.sh postgres makes it) and Debian's PostgreSQL 15 message
   * catalogs.
   */
  @Test
  void aSourceShuttingDownWithMessagesInGermanIsNotHeldUp() throws Exception {
    shutDownUnderWrites("-c lc_messages=de_DE.UTF-8");
  }

  private void shutDownUnderWrites(String serverOptions) throws Exception {
    try (SourceDb db =
        SourceDb.start(io.pgtrickle.changelog.support.PostgresServer.defaultBin(), serverOptions)) {
      if (!serverOptions.isEmpty()) {
        assertThatThrownBy(() -> db.queryOne("SELECT 1 / 0"))
            .as("the server's messages are in German (its message catalogs are installed)")
            .hasStackTraceContaining("Division durch Null");
      }
      db.sql("CREATE TABLE t (id bigserial PRIMARY KEY, payload text)");
      String uri = db.server().uri("");
      long source = db.relationOid("t");
      // The consumer reaches its change log through a slow link: a publish takes far longer than
      // the gate's query, so the shutdown finds a batch being published, not at the gate (which
      // notices a shutdown by itself).
      try (ThrottledProxy slowLink = new ThrottledProxy(db.server().port(), 4000);
          ChangeLogBackend log =
              ChangeLogBackends.open(
                  "postgresql://127.0.0.1:" + slowLink.port() + "/postgres?user=postgres");
          Consumers.InProcess consumer =
              new Consumers.InProcess(Consumers.env(db, "t", "shutdown", uri), log, null)) {
        Consumers.await("streaming", Duration.ofSeconds(30), consumer.state::streaming);
        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicLong committed = new AtomicLong();
        List<Thread> writers = new ArrayList<>();
        for (int i = 0; i < WRITERS; i++) {
          Thread w = new Thread(() -> write(db, writing, committed), "writer-" + i);
          w.start();
          writers.add(w);
        }
        try (ChangeLogBackend direct = ChangeLogBackends.open(uri)) {
          LogReader published = new LogReader(direct);
          Consumers.await(
              "writes published",
              Duration.ofSeconds(60),
              () -> inserts(published.events(source)) > 300 && committed.get() > 600);
        }

        long start = System.nanoTime();
        db.server().stop(); // pg_ctl -m fast -w: fails after 60 s if the shutdown hangs
        long stopMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        writing.set(false);
        for (Thread w : writers) {
          w.join(30_000);
        }
        assertThat(stopMillis)
            .as("a fast shutdown under writes is not held up by the consumer")
            .isLessThan(20_000);

        db.server().startAgain();
        long rows = Long.parseLong(db.queryOne("SELECT count(*) FROM t"));
        assertThat(rows).as("rows committed").isGreaterThanOrEqualTo(committed.get());
        try (ChangeLogBackend readerLog = ChangeLogBackends.open(uri)) {
          LogReader reader = new LogReader(readerLog);
          Consumers.await(
              "every committed row in the change log after the restart",
              Duration.ofSeconds(60),
              () -> inserts(reader.events(source)) >= rows);
          List<ChangeEvent> events = Consumers.afterStartGap(reader.events(source));
          assertThat(events.stream().filter(e -> e.action() == ChangeAction.GAP).count())
              .as("no gap after the one that opens the log: the slot survived the clean shutdown")
              .isZero();
          assertThat(inserts(events)).as("each committed row exactly once").isEqualTo(rows);
          Consumers.await(
              "ready again, the source idle",
              Duration.ofSeconds(30),
              () -> io.pgtrickle.cdc.http.Health.readiness(consumer.state).ok());
        }
      }
    }
  }

  private static void write(SourceDb db, AtomicBoolean writing, AtomicLong committed) {
    while (writing.get()) {
      try (Connection c = db.connect();
          Statement s = c.createStatement()) {
        while (writing.get()) {
          s.execute("INSERT INTO t (payload) SELECT repeat('x', 100) FROM generate_series(1, 3)");
          committed.addAndGet(3);
        }
      } catch (SQLException e) {
        // the server shuts down, or is down: try again until told to stop
        try {
          Thread.sleep(50);
        } catch (InterruptedException stop) {
          return;
        }
      }
    }
  }

  private static long inserts(List<ChangeEvent> events) {
    return events.stream().filter(e -> e.action() == ChangeAction.INSERT).count();
  }
}
