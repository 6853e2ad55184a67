package io.pgtrickle.worker.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.changelog.support.ServerProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Three workers under a steady write load; one of them at a time is killed with SIGKILL (at least
 * 20 times: some while it holds the ingest lease, some in the middle of a refresh, the rest at
 * random) or stopped with SIGTERM (which must drain and exit 0), and started again. Every refresh
 * is audited in its own transaction; afterwards every stream table equals its query and each stream
 * table's history is one unbroken chain of frontiers: nothing applied twice, nothing lost. {@code
 * -Dit.kill.rounds=N} runs longer (make test-worker-soak).
 */
@Timeout(value = 900, unit = TimeUnit.SECONDS)
class KillIT {

  private static final int ROUNDS = Integer.getInteger("it.kill.rounds", 22);
  private static final String BACKEND = System.getProperty("it.kill.backend", "postgres");

  @Test
  void killedWorkersLoseNothingAndApplyNothingTwice() throws Exception {
    long seed = Long.getLong("it.seed", System.nanoTime());
    Random random = new Random(seed);
    Path dir = ServerProcess.targetDir("kill");
    try (PipelineDb db = PipelineDb.start();
        ChangeLogServer changeLog = ChangeLogServer.start(BACKEND, db, "kill")) {
      String log = changeLog.uri();
      db.sql(Workload.TABLES);
      db.sql(
          "INSERT INTO public.items SELECT g, g % 10, g % 100 FROM generate_series(1, 200) g",
          // Enough rows that a FULL refresh of st_wide takes a while, to be killed in.
          "CREATE TABLE public.wide AS SELECT g AS id, md5(g::text) AS pad"
              + " FROM generate_series(1, 100000) g",
          "ALTER TABLE public.wide ADD PRIMARY KEY (id)");
      db.createStreamTable("st_totals", PipelineIT.TOTALS, null);
      db.createStreamTable("st_big", PipelineIT.BIG, "1s");
      db.createStreamTable("st_tagged", PipelineIT.TAGGED, "1s");
      db.createStreamTable("st_top", PipelineIT.TOP, "1s");
      db.createStreamTable(
          "st_wide",
          "SELECT w.id, w.pad, i.v FROM public.wide w LEFT JOIN public.items i ON i.id = w.id",
          "2s");
      RefreshAudit.install(db);
      Process cdc = Children.cdc(Children.cdcEnv(db, "", "kill", log), dir.resolve("cdc.log"));
      Process[] workers = new Process[3];
      List<Map<String, String>> envs = new ArrayList<>();
      int sigkills = 0;
      int sigterms = 0;
      int midRefresh = 0;
      int leaseHolder = 0;
      try {
        Children.await(
            "the cdc-consumer's slot",
            Duration.ofSeconds(60),
            () ->
                "1"
                    .equals(
                        db.one(
                            "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'kill'")));
        db.awaitCaptured();
        for (int i = 0; i < workers.length; i++) {
          envs.add(Children.workerEnv(db, log, "w" + i + "-0"));
          workers[i] = Children.worker(envs.get(i), dir.resolve("worker-" + i + ".log"));
        }
        try (Workload w = new Workload(db, seed, 100)) {
          for (int round = 0; round < ROUNDS || sigkills < 20; round++) {
            ServerProcess.sleep(500 + random.nextInt(1500));
            int victim = random.nextInt(workers.length);
            int how = random.nextInt(10);
            if (how < 2 && sigterms < 4) {
              // A running worker (the JVM itself exits 143 on a SIGTERM before main starts).
              int port = Integer.parseInt(envs.get(victim).get("PGTRICKLE_HTTP_PORT"));
              Children.await(
                  "worker " + victim + " ready",
                  Duration.ofSeconds(60),
                  () -> Children.http(port, "/readyz").status() == 200);
              workers[victim].destroy(); // SIGTERM: drains
              assertThat(workers[victim].waitFor(40, TimeUnit.SECONDS))
                  .as("worker %s drained in time (seed %d)", victim, seed)
                  .isTrue();
              assertThat(workers[victim].exitValue()).as("exit code after SIGTERM").isZero();
              sigterms++;
            } else {
              if (how < 4) {
                // The lease holder, whoever it is.
                String holder =
                    db.one(
                        "SELECT holder FROM pgtrickle.pgt_worker_leases WHERE lease_name = 'ingest'"
                            + " AND expires_at > clock_timestamp()");
                int i = indexOf(envs, holder);
                if (i >= 0) {
                  victim = i;
                  leaseHolder++;
                }
              } else if (how < 8) {
                // Whoever is inside a refresh transaction (holds a claim) first.
                int i = indexOf(envs, awaitRefreshing(db));
                if (i >= 0) {
                  victim = i;
                  midRefresh++;
                }
              }
              workers[victim].destroyForcibly().waitFor(30, TimeUnit.SECONDS); // SIGKILL
              sigkills++;
            }
            String next = "w" + victim + "-" + (round + 1);
            envs.get(victim).put("PGTRICKLE_WORKER_ID", next);
            workers[victim] =
                Children.worker(envs.get(victim), dir.resolve("worker-" + victim + ".log"));
          }
        }
        String end = db.one("SELECT pg_current_wal_insert_lsn()::text");
        // Every source, stream tables included: st_top must be refreshed after st_totals is.
        db.awaitFresh(end, Duration.ofSeconds(120), dir);
        for (Process p : workers) {
          p.destroy();
        }
        for (Process p : workers) {
          assertThat(p.waitFor(40, TimeUnit.SECONDS)).isTrue();
        }
        System.out.printf(
            "kill test ("
                + BACKEND
                + ", seed %d): %d SIGKILL (%d of the lease holder, %d in a refresh), %d SIGTERM;"
                + " refreshes by action: %s; audited %s%n",
            seed,
            sigkills,
            leaseHolder,
            midRefresh,
            sigterms,
            db.column(
                "SELECT action || '=' || count(*) FROM pgtrickle.pgt_refresh_history"
                    + " GROUP BY action ORDER BY action"),
            db.one("SELECT count(*) FROM public.pgt_test_audit"));
        assertThat(sigkills).isGreaterThanOrEqualTo(20);
        RefreshAudit.assertEveryRefreshMatched(db);
        RefreshAudit.assertAllEqualQuery(db);
        RefreshAudit.assertFrontierChains(db);
        assertThat(
                db.one(
                    "SELECT count(*) FROM pgtrickle.pgt_refresh_history WHERE status = 'FAILED'"))
            .isEqualTo("0");
        assertThat(db.column("SELECT DISTINCT status FROM pgtrickle.pgt_stream_tables"))
            .containsExactly("ACTIVE");
      } finally {
        for (Process p : workers) {
          if (p != null) {
            p.destroyForcibly();
          }
        }
        ServerProcess.stop(cdc, 30);
      }
    }
  }

  private static int indexOf(List<Map<String, String>> envs, String workerId) {
    for (int i = 0; i < envs.size(); i++) {
      if (envs.get(i).get("PGTRICKLE_WORKER_ID").equals(workerId)) {
        return i;
      }
    }
    return -1;
  }

  /** Waits up to 5 s for some worker to hold a claim (be inside a refresh); its id or null. */
  private static String awaitRefreshing(PipelineDb db) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (System.nanoTime() < deadline) {
      String app =
          db.one(
              "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
                  + " WHERE l.locktype = 'advisory' AND l.objsubid = 2 AND l.granted"
                  + " AND a.application_name LIKE 'pgtrickle-worker % refresh-%' LIMIT 1");
      if (app != null) {
        return app.split(" ")[1];
      }
      ServerProcess.sleep(5);
    }
    return null;
  }
}
