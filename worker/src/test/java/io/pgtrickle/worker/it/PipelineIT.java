package io.pgtrickle.worker.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.changelog.Lsn;
import io.pgtrickle.changelog.support.ServerProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;

/**
 * The whole pipeline: source writes → cdc-consumer (child JVM) → change log (PostgreSQL tables or
 * NATS JetStream) → worker (child JVM) → stream tables. Under a steady write load, with a long
 * transaction spanning several refreshes and a TRUNCATE, every refresh is checked in its own
 * transaction ({@link RefreshAudit}): the stream table equals its query on the refresh's snapshot.
 * Afterwards each stream table equals its query, the frontiers form one chain per stream table, and
 * the metrics and probes answer.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class PipelineIT {

  static final String TOTALS =
      "SELECT grp, count(*) AS n, sum(v) AS total FROM public.items GROUP BY grp";
  static final String BIG = "SELECT id, grp, v FROM public.items WHERE v > 50";
  static final String TAGGED =
      "SELECT i.grp, t.tag, count(*) AS n FROM public.items i JOIN public.tags t"
          + " ON t.item_id = i.id GROUP BY i.grp, t.tag";
  static final String TOP = "SELECT grp, total FROM public.st_totals WHERE total > 500";

  /**
   * PostgreSQL tables and NATS in make check; Kafka with {@code -Dit.pipeline.kafka=true} ({@code
   * make test-worker-kafka}); {@code -Dit.pipeline.only=kafka} (a comma list) runs only those. See
   * worker/MEASUREMENTS.md for the Kafka case's history.
   */
  static java.util.stream.Stream<String> backends() {
    String only = System.getProperty("it.pipeline.only", "");
    if (!only.isEmpty()) {
      return java.util.Arrays.stream(only.split(","));
    }
    return Boolean.getBoolean("it.pipeline.kafka")
        ? java.util.stream.Stream.of("postgres", "nats", "kafka")
        : java.util.stream.Stream.of("postgres", "nats");
  }

  @ParameterizedTest
  @org.junit.jupiter.params.provider.MethodSource("backends")
  void streamTablesEqualTheirQueryAfterEveryRefresh(String backend) throws Exception {
    Path dir = ServerProcess.targetDir("pipeline-" + backend);
    try (PipelineDb db = PipelineDb.start();
        ChangeLogServer changeLog = ChangeLogServer.start(backend, db, "pipeline")) {
      String log = changeLog.uri();
      db.sql(Workload.TABLES);
      db.sql("INSERT INTO public.items SELECT g, g % 10, g % 100 FROM generate_series(1, 200) g");
      // st_totals is calculated: it refreshes when st_top, which reads it, is due.
      db.createStreamTable("st_totals", TOTALS, null);
      db.createStreamTable("st_big", BIG, "1s");
      db.createStreamTable("st_tagged", TAGGED, "2s");
      db.createStreamTable("st_top", TOP, "1s");
      RefreshAudit.install(db);
      Process cdc = Children.cdc(Children.cdcEnv(db, "", "pipeline", log), dir.resolve("cdc.log"));
      Map<String, String> env = Children.workerEnv(db, log, "worker-a");
      int port = Integer.parseInt(env.get("PGTRICKLE_HTTP_PORT"));
      Process worker = null;
      try {
        Children.await(
            "the cdc-consumer's slot",
            Duration.ofSeconds(60),
            () ->
                "1"
                    .equals(
                        db.one(
                            "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'pipeline'")));
        db.awaitCaptured();
        worker = Children.worker(env, dir.resolve("worker.log"));
        Children.await(
            "worker ready (log " + dir + ")",
            Duration.ofSeconds(60),
            () -> Children.http(port, "/readyz").status() == 200);
        // The TRUNCATE below must come after the first populations (on a busy machine they may
        // take a while): then its window forces a FULL refresh of st_tagged.
        db.awaitPopulated(Duration.ofSeconds(60));
        long transactions;
        try (Workload w = new Workload(db, System.nanoTime(), 150)) {
          ServerProcess.sleep(3_000);
          Thread longTx = w.longTransaction(4_000);
          ServerProcess.sleep(2_000);
          w.truncateTags();
          longTx.join();
          ServerProcess.sleep(4_000);
          transactions = w.transactions();
        }
        String end = db.one("SELECT pg_current_wal_insert_lsn()::text");
        long freshStart = System.nanoTime();
        db.awaitFresh(end, Duration.ofSeconds(60), dir);
        long freshMs = (System.nanoTime() - freshStart) / 1_000_000;
        System.out.printf(
            "pipeline %s: %s transactions written; every stream table fresh %d ms after the writes"
                + " stopped; refreshes by action: %s; audited %s%n",
            backend,
            transactions,
            freshMs,
            db.column(
                "SELECT action || '=' || count(*) FROM pgtrickle.pgt_refresh_history"
                    + " GROUP BY action ORDER BY action"),
            db.one("SELECT count(*) FROM public.pgt_test_audit"));
        RefreshAudit.assertEveryRefreshMatched(db);
        RefreshAudit.assertAllEqualQuery(db);
        RefreshAudit.assertFrontierChains(db);
        RefreshAudit.assertCommittedAsynchronously(db);
        assertThat(
                db.column(
                    "SELECT h.refresh_reason FROM pgtrickle.pgt_refresh_history h"
                        + " JOIN pgtrickle.pgt_stream_tables st USING (pgt_id)"
                        + " WHERE st.pgt_name = 'st_tagged' AND h.action = 'FULL'"))
            .as("a FULL refresh because of the TRUNCATE")
            .contains("TRUNCATE of tags");
        // The writes stopped: the next refreshes find nothing to do.
        Children.await(
            "a NO_DATA refresh of st_big once the writes stopped",
            Duration.ofSeconds(30),
            () ->
                !"0"
                    .equals(
                        db.one(
                            "SELECT count(*) FROM pgtrickle.pgt_refresh_history"
                                + " JOIN pgtrickle.pgt_stream_tables USING (pgt_id)"
                                + " WHERE pgt_name = 'st_big' AND action = 'NO_DATA'")));
        assertThat(db.column("SELECT DISTINCT status FROM pgtrickle.pgt_stream_tables"))
            .containsExactly("ACTIVE");
        assertThat(
                db.one(
                    "SELECT count(*) FROM pgtrickle.pgt_refresh_history WHERE status = 'FAILED'"))
            .isEqualTo("0");
        Children.HttpAnswer metrics = Children.http(port, "/metrics");
        assertThat(metrics.status()).isEqualTo(200);
        assertThat(metrics.body())
            .contains("pg_trickle_freshness_lag_ms{stream_table=\"public.st_totals\"}")
            .contains("pg_trickle_refreshes_total{mode=\"FULL\",outcome=\"completed\"}")
            .contains("pg_trickle_parallel_queue_depth")
            .contains("pg_trickle_worker_cpu_percent")
            .contains("pg_trickle_ingest_lease_held 1.0");
        assertThat(Children.http(port, "/healthz").status()).isEqualTo(200);
        // The buffers are pruned behind the frontiers.
        Children.await(
            "buffer rows below every frontier pruned",
            Duration.ofSeconds(30),
            () -> {
              String min =
                  db.one(
                      "SELECT min((frontier -> 'sources' ->> 'public.items'::regclass::oid::text)::pg_lsn)::text"
                          + " FROM pgtrickle.pgt_stream_tables WHERE pgt_name IN ('st_totals','st_big','st_tagged')");
              String below =
                  db.one(
                      "SELECT count(*) FROM pgtrickle_changes.changes_"
                          + db.one("SELECT 'public.items'::regclass::oid")
                          + " WHERE lsn < ?::pg_lsn",
                      min);
              return "0".equals(below);
            });
        // pg_trickle_stream_table_lag_ms is pg_stat_pgtrickle.current_lag_ms as of the scrape. With
        // st_top paused nothing refreshes it, so both grow alike and the scrape's figure lies
        // between two reads of the view around it (a refresh still in flight is waited out).
        db.sql("SELECT pgtrickle.pause_stream_table('st_top')");
        Thread.sleep(3_000);
        String view =
            "SELECT current_lag_ms FROM pgtrickle.pg_stat_pgtrickle WHERE table_name = 'st_top'";
        double before = Double.parseDouble(db.one(view));
        String scrape = Children.http(port, "/metrics").body();
        double scraped = streamTableLag(scrape, "public.st_top");
        double after = Double.parseDouble(db.one(view));
        // The paused table counts under its status, as of the scheduler's last read.
        assertThat(scrape)
            .contains("pg_trickle_stream_tables{status=\"SUSPENDED\"} 1.0")
            .contains("pg_trickle_stream_tables{status=\"ERROR\"} 0.0");
        assertThat(before).isGreaterThan(1_000);
        assertThat(scraped).isBetween(before - 1, after + 250);
        worker.destroy();
        assertThat(worker.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(worker.exitValue()).as("exit after SIGTERM").isZero();
        assertThat(Lsn.parse(end)).isNotNull();
      } finally {
        if (worker != null) {
          worker.destroyForcibly();
        }
        ServerProcess.stop(cdc, 30);
      }
    }
  }

  /** The value of {@code pg_trickle_stream_table_lag_ms{stream_table="<name>"}} in a scrape. */
  private static double streamTableLag(String metrics, String streamTable) {
    String prefix = "pg_trickle_stream_table_lag_ms{stream_table=\"" + streamTable + "\"} ";
    return metrics
        .lines()
        .filter(l -> l.startsWith(prefix))
        .mapToDouble(l -> Double.parseDouble(l.substring(prefix.length()).strip()))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no " + prefix + "in\n" + metrics));
  }
}
