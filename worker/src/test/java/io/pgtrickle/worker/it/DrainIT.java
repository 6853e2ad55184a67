package io.pgtrickle.worker.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.changelog.support.ServerProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * SIGTERM during a long FULL refresh (a million rows): the worker stops claiming (not ready), lets
 * the refresh commit, releases the ingest lease and exits 0 within its drain timeout. With a drain
 * timeout shorter than the refresh, the refresh is cancelled and rolled back, the worker still
 * exits 0 at once, and the next worker does the refresh from the stored frontier.
 */
@Timeout(value = 600, unit = TimeUnit.SECONDS)
class DrainIT {

  private static final String QUERY = "SELECT id, pad, length(pad) AS len FROM public.big";

  @Test
  void sigtermFinishesTheRefreshInProgressAndExitsZero() throws Exception {
    Path dir = ServerProcess.targetDir("drain");
    try (PipelineDb db = PipelineDb.start()) {
      createBig(db);
      Map<String, String> env = Children.workerEnv(db, db.changeLogUri(), "drainer");
      env.put("PGTRICKLE_DRAIN_TIMEOUT_MS", "120000");
      int port = Integer.parseInt(env.get("PGTRICKLE_HTTP_PORT"));
      Process worker = Children.worker(env, dir.resolve("worker.log"));
      try {
        awaitRefreshing(db, "drainer");
        long sent = System.nanoTime();
        String sentAt = db.one("SELECT clock_timestamp()::text");
        worker.destroy(); // SIGTERM
        Children.await(
            "not ready while draining",
            Duration.ofSeconds(10),
            () -> Children.http(port, "/readyz").status() == 503);
        assertThat(worker.waitFor(120, TimeUnit.SECONDS)).as("exited within the drain").isTrue();
        long tookMs = (System.nanoTime() - sent) / 1_000_000;
        assertThat(worker.exitValue()).isZero();
        assertThat(
                db.one(
                    "SELECT count(*) FROM pgtrickle.pgt_refresh_history WHERE status = 'COMPLETED'"
                        + " AND start_time < ?::timestamptz AND end_time > ?::timestamptz",
                    sentAt,
                    sentAt))
            .as("the refresh in progress at SIGTERM completed")
            .isEqualTo("1");
        assertThat(
                db.one(
                    "SELECT count(*) FROM pgtrickle.pgt_worker_leases WHERE holder = 'drainer'"
                        + " AND expires_at > clock_timestamp()"))
            .as("ingest lease released")
            .isEqualTo("0");
        RefreshAudit.assertAllEqualQuery(db);
        System.out.printf("drain: SIGTERM mid-refresh, exit 0 after %d ms%n", tookMs);
      } finally {
        worker.destroyForcibly();
      }
    }
  }

  @Test
  void aDrainTimeoutCancelsTheRefreshAndTheNextWorkerRedoesIt() throws Exception {
    Path dir = ServerProcess.targetDir("drain-cancel");
    try (PipelineDb db = PipelineDb.start()) {
      createBig(db);
      Map<String, String> env = Children.workerEnv(db, db.changeLogUri(), "impatient");
      env.put("PGTRICKLE_DRAIN_TIMEOUT_MS", "200");
      Process worker = Children.worker(env, dir.resolve("worker.log"));
      Process next = null;
      try {
        awaitRefreshing(db, "impatient");
        worker.destroy();
        assertThat(worker.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(worker.exitValue()).isZero();
        assertThat(db.one("SELECT count(*) FROM pgtrickle.pgt_refresh_history"))
            .as("the cancelled refresh left no trace")
            .isEqualTo("0");
        assertThat(db.one("SELECT is_populated FROM pgtrickle.pgt_stream_tables")).isEqualTo("f");
        next =
            Children.worker(
                Children.workerEnv(db, db.changeLogUri(), "next"), dir.resolve("next.log"));
        Children.await(
            "the next worker's refresh",
            Duration.ofSeconds(240),
            () -> "t".equals(db.one("SELECT is_populated FROM pgtrickle.pgt_stream_tables")));
        RefreshAudit.assertAllEqualQuery(db);
        assertThat(db.one("SELECT worker_id FROM pgtrickle.pgt_refresh_history")).isEqualTo("next");
      } finally {
        worker.destroyForcibly();
        if (next != null) {
          next.destroyForcibly();
        }
      }
    }
  }

  private static void createBig(PipelineDb db) {
    db.sql(
        "CREATE TABLE public.big AS SELECT g AS id, md5(g::text) || md5((g + 1)::text) AS pad"
            + " FROM generate_series(1, 1000000) g",
        "ALTER TABLE public.big ADD PRIMARY KEY (id)");
    db.createStreamTable("st_big", QUERY, "1h");
  }

  /** Waits until the worker's refresh connection runs the INSERT of the FULL refresh. */
  private static void awaitRefreshing(PipelineDb db, String workerId) {
    Children.await(
        "worker " + workerId + " inside the refresh",
        Duration.ofSeconds(120),
        () ->
            !"0"
                .equals(
                    db.one(
                        "SELECT count(*) FROM pg_stat_activity WHERE state = 'active'"
                            + " AND application_name LIKE ? AND query LIKE 'INSERT INTO%st_big%'",
                        "pgtrickle-worker " + workerId + " refresh-%")));
  }
}
