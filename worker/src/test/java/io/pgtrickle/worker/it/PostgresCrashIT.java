package io.pgtrickle.worker.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.changelog.support.ServerProcess;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The PostgreSQL server that holds the sources, the change log (PostgreSQL tables), the change
 * buffers and the stream tables crashes ({@code pg_ctl stop -m immediate}) several times while
 * writers write and the worker refreshes, most of the crashes while a refresh transaction is open
 * or has just committed. Refreshes commit asynchronously ({@link
 * io.pgtrickle.worker.db.AsynchronousCommit}), so a crash may take the last ones back: each one
 * whole, its frontier with its rows. After every crash the server recovers, the cdc-consumer and
 * the worker reconnect on their own, and at the end every stream table (a cascade included) equals
 * its query, every completed refresh was equal to its query in its own snapshot, and each stream
 * table's history is one unbroken chain of frontiers: no window lost, none applied twice.
 */
@Timeout(value = 600, unit = TimeUnit.SECONDS)
class PostgresCrashIT {

  private static final int CRASHES = Integer.getInteger("it.crash.rounds", 4);

  @Test
  void crashesLoseNoChangeAndLeaveEveryStreamTableConsistent() throws Exception {
    long seed = Long.getLong("it.seed", System.nanoTime());
    Random random = new Random(seed);
    Path dir = ServerProcess.targetDir("pg-crash");
    try (PipelineDb db = PipelineDb.start();
        ChangeLogServer changeLog = ChangeLogServer.start("postgres", db, "crash")) {
      String log = changeLog.uri();
      db.sql(Workload.TABLES);
      // Enough rows that AUTO refreshes differentially (on 200 rows it recomputes).
      db.sql(
          "INSERT INTO public.items SELECT g, g % 10, g % 100 FROM generate_series(1, 20000) g",
          "INSERT INTO public.tags SELECT g, g, 't' || g % 5 FROM generate_series(1, 5000) g");
      db.createStreamTable("st_totals", PipelineIT.TOTALS, null);
      db.createStreamTable("st_big", PipelineIT.BIG, "1s");
      db.createStreamTable("st_tagged", PipelineIT.TAGGED, "1s");
      db.createStreamTable("st_top", PipelineIT.TOP, "1s");
      RefreshAudit.install(db);
      // Asynchronous commits stay in the WAL buffers until a durable commit or the WAL writer
      // flushes them: a long delay leaves the crash something to take back.
      db.sql("ALTER SYSTEM SET wal_writer_delay = '10s'", "SELECT pg_reload_conf()");
      Process cdc = Children.cdc(Children.cdcEnv(db, "", "crash", log), dir.resolve("cdc.log"));
      Map<String, String> env = Children.workerEnv(db, log, "worker-a");
      Process worker = null;
      AtomicBoolean stop = new AtomicBoolean();
      AtomicBoolean paused = new AtomicBoolean();
      AtomicLong committed = new AtomicLong();
      Thread writer = new Thread(() -> write(db, seed, stop, paused, committed), "writer");
      int midRefresh = 0;
      long lost = 0; // refreshes seen committed before a crash and gone after it
      try {
        Children.await(
            "the cdc-consumer's slot",
            Duration.ofSeconds(60),
            () ->
                "1"
                    .equals(
                        db.one(
                            "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'crash'")));
        db.awaitCaptured();
        worker = Children.worker(env, dir.resolve("worker.log"));
        writer.start();
        for (int crash = 0; crash < CRASHES; crash++) {
          ServerProcess.sleep(1500 + random.nextInt(1500));
          long seen;
          if (crash % 2 == 1) {
            // Right after a refresh committed, the writers paused: no later durable commit has
            // flushed the refresh's commit record yet (the WAL writer waits wal_writer_delay,
            // 10 s here), so the crash takes it back.
            paused.set(true);
            ServerProcess.sleep(100);
            long before = refreshes(db);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            do {
              seen = refreshes(db);
            } while (seen == before && System.nanoTime() < deadline);
          } else {
            // Right when a refresh holds its claim (open or committing).
            if (awaitRefreshing(db)) {
              ServerProcess.sleep(random.nextInt(3));
              midRefresh++;
            }
            seen = refreshes(db);
          }
          db.server().crash();
          ServerProcess.sleep(200);
          db.server().startAgain();
          lost += Math.max(0, seen - refreshes(db));
          paused.set(false);
        }
        ServerProcess.sleep(2000);
        stop.set(true);
        writer.join(30_000);
        String end = db.one("SELECT pg_current_wal_insert_lsn()::text");
        db.awaitFresh(end, Duration.ofSeconds(180), dir);
        System.out.printf(
            "crash test (seed %d): %d crashes (%d in a refresh, %d committed refreshes lost),"
                + " %d writes committed;"
                + " refreshes by action: %s; audited %s%n",
            seed,
            CRASHES,
            midRefresh,
            lost,
            committed.get(),
            db.column(
                "SELECT action || ' (' || refresh_reason || ')=' || count(*)"
                    + " FROM pgtrickle.pgt_refresh_history WHERE status = 'COMPLETED'"
                    + " GROUP BY action, refresh_reason ORDER BY action, refresh_reason"),
            db.one("SELECT count(*) FROM public.pgt_test_audit"));
        assertThat(committed.get()).as("writes committed").isPositive();
        RefreshAudit.assertEveryRefreshMatched(db);
        RefreshAudit.assertAllEqualQuery(db);
        RefreshAudit.assertFrontierChains(db);
        RefreshAudit.assertCommittedAsynchronously(db);
        assertThat(db.column("SELECT DISTINCT status FROM pgtrickle.pgt_stream_tables"))
            .containsExactly("ACTIVE");
        assertThat(worker.isAlive()).as("the worker is still running").isTrue();
        assertThat(cdc.isAlive()).as("the cdc-consumer is still running").isTrue();
      } finally {
        stop.set(true);
        writer.join(30_000);
        if (worker != null) {
          ServerProcess.stop(worker, 30);
        }
        ServerProcess.stop(cdc, 30);
      }
    }
  }

  /**
   * Small transactions on items and tags until {@code stop}; a failed one (the server crashed) is
   * retried on a new connection once the server is back. Which of them committed does not matter:
   * the stream tables must equal their queries over whatever did.
   */
  private static void write(
      PipelineDb db, long seed, AtomicBoolean stop, AtomicBoolean paused, AtomicLong committed) {
    Random random = new Random(seed + 1);
    long nextId = 100_000;
    while (!stop.get()) {
      try (Connection c = db.connect();
          Statement s = c.createStatement()) {
        c.setAutoCommit(false);
        while (!stop.get()) {
          if (paused.get()) {
            ServerProcess.sleep(5);
            continue;
          }
          long id = nextId++;
          s.execute(
              "INSERT INTO public.items VALUES ("
                  + id
                  + ", "
                  + random.nextInt(10)
                  + ", "
                  + random.nextInt(100)
                  + ")");
          s.execute(
              "UPDATE public.items SET v = v + "
                  + (random.nextInt(21) - 10)
                  + ", grp = "
                  + random.nextInt(10)
                  + " WHERE id = "
                  + (1 + random.nextInt((int) id)));
          s.execute("DELETE FROM public.items WHERE id = " + (1 + random.nextInt((int) id)) + "");
          s.execute(
              "INSERT INTO public.tags SELECT "
                  + id
                  + ", id, 't"
                  + random.nextInt(5)
                  + "' FROM public.items ORDER BY id DESC LIMIT 1");
          c.commit();
          committed.incrementAndGet();
          ServerProcess.sleep(5);
        }
      } catch (SQLException e) {
        ServerProcess.sleep(200); // the server is down: wait for it
      }
    }
  }

  private static long refreshes(PipelineDb db) {
    return Long.parseLong(
        db.one("SELECT count(*) FROM pgtrickle.pgt_refresh_history WHERE status = 'COMPLETED'"));
  }

  /** Waits up to 5 s for the worker to hold a claim (be inside a refresh); whether it did. */
  private static boolean awaitRefreshing(PipelineDb db) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (System.nanoTime() < deadline) {
      String n =
          db.one(
              "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
                  + " WHERE l.locktype = 'advisory' AND l.objsubid = 2 AND l.granted"
                  + " AND a.application_name LIKE 'pgtrickle-worker % refresh-%'");
      if (!"0".equals(n)) {
        return true;
      }
      ServerProcess.sleep(2);
    }
    return false;
  }
}
