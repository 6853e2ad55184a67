package io.pgtrickle.worker.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.changelog.support.ServerProcess;
import io.pgtrickle.testbed.OtelCollector;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * OTLP export by the real programs to a real OpenTelemetry Collector ({@code testbed/otelcol}, its
 * file exporter read by the test): the cdc-consumer over gRPC and the worker over http/protobuf,
 * each with the variables the operator gives its pods. The collector receives a {@code refresh}
 * span per refresh and a {@code cdc.publish} span per published batch with their attributes, and
 * the programs' metrics under their /metrics names. Then the collector is stopped: the stream table
 * keeps following the writes, the health endpoints stay up, and /metrics counts the failed exports.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class OtlpExportIT {

  static final String TOTALS =
      "SELECT grp, count(*) AS n, sum(v) AS total FROM public.items GROUP BY grp";

  private static Path dir;
  private static OtelCollector collector;

  /** Outside the test's timeout: a cold build of the collector takes minutes (then cached). */
  @BeforeAll
  static void startCollector() {
    dir = ServerProcess.targetDir("otlp-export");
    collector = OtelCollector.start(dir.resolve("otelcol"));
  }

  @AfterAll
  static void stopCollector() {
    if (collector != null) {
      collector.close();
    }
  }

  @Test
  void bothProgramsExportTracesAndMetricsAndALostCollectorSlowsNothing() throws Exception {
    try (PipelineDb db = PipelineDb.start();
        ChangeLogServer changeLog = ChangeLogServer.start("postgres", db, "otlp")) {
      db.sql(Workload.TABLES);
      db.sql("INSERT INTO public.items SELECT g, g % 10, g % 100 FROM generate_series(1, 200) g");
      db.createStreamTable("st_totals", TOTALS, "1s");
      Map<String, String> cdcEnv = Children.cdcEnv(db, "", "otlp", changeLog.uri());
      int cdcPort = ServerProcess.freePort();
      cdcEnv.put("PGTRICKLE_HTTP_PORT", String.valueOf(cdcPort));
      cdcEnv.putAll(otel(collector.grpcEndpoint(), "grpc", "shop-cdc", "cdc-consumer"));
      Map<String, String> workerEnv = Children.workerEnv(db, changeLog.uri(), "worker-otlp");
      workerEnv.putAll(otel(collector.httpEndpoint(), "http/protobuf", "shop-worker", "worker"));
      int workerPort = Integer.parseInt(workerEnv.get("PGTRICKLE_HTTP_PORT"));
      Process cdc = Children.cdc(cdcEnv, dir.resolve("cdc.log"));
      Process worker = null;
      try {
        Children.await(
            "the cdc-consumer's slot",
            Duration.ofSeconds(60),
            () ->
                "1"
                    .equals(
                        db.one(
                            "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'otlp'")));
        db.awaitCaptured();
        worker = Children.worker(workerEnv, dir.resolve("worker.log"));
        Children.await(
            "worker ready (log " + dir + ")",
            Duration.ofSeconds(60),
            () -> Children.http(workerPort, "/readyz").status() == 200);
        // The writes below come after the first population, so a differential refresh applies them.
        db.awaitPopulated(Duration.ofSeconds(60));
        db.sql(
            "INSERT INTO public.items SELECT g, g % 10, g % 100 FROM generate_series(201, 400) g",
            "UPDATE public.items SET v = v + 1 WHERE id % 7 = 0",
            "DELETE FROM public.items WHERE id % 11 = 0");
        db.awaitFresh(
            db.one("SELECT pg_current_wal_insert_lsn()::text"), Duration.ofSeconds(60), dir);

        Children.await(
            "a completed differential refresh span of public.st_totals from shop-worker",
            Duration.ofSeconds(60),
            () ->
                collector.spans().stream()
                    .anyMatch(
                        s ->
                            s.name().equals("refresh")
                                && "shop-worker".equals(s.resource().get("service.name"))
                                && "public.st_totals"
                                    .equals(s.attributes().get("pgtrickle.stream_table"))
                                && "COMPLETED"
                                    .equals(s.attributes().get("pgtrickle.refresh.outcome"))
                                && "DIFFERENTIAL"
                                    .equals(s.attributes().get("pgtrickle.refresh.mode"))
                                && Long.parseLong(
                                        s.attributes()
                                            .getOrDefault("pgtrickle.refresh.changes", "0"))
                                    > 0));
        OtelCollector.Span refresh =
            collector.spans().stream().filter(s -> s.name().equals("refresh")).findFirst().get();
        assertThat(refresh.resource())
            .containsEntry("service.namespace", "prod")
            .containsEntry("k8s.pod.name", "shop-worker-0")
            .containsEntry("pgtrickle.stream_table_cluster", "shop")
            .containsEntry("pgtrickle.program", "worker");
        assertThat(refresh.attributes())
            .containsKeys(
                "pgtrickle.pgt_id",
                "pgtrickle.refresh.initiated_by",
                "pgtrickle.refresh.rows_inserted",
                "pgtrickle.refresh.rows_deleted");
        Children.await(
            "a cdc.publish span with events and an LSN range from shop-cdc",
            Duration.ofSeconds(60),
            () ->
                collector.spans().stream()
                    .anyMatch(
                        s ->
                            s.name().equals("cdc.publish")
                                && "shop-cdc".equals(s.resource().get("service.name"))
                                && "cdc-consumer".equals(s.resource().get("pgtrickle.program"))
                                && Long.parseLong(
                                        s.attributes().getOrDefault("pgtrickle.cdc.events", "0"))
                                    > 0
                                && s.attributes().containsKey("pgtrickle.cdc.lsn.first")
                                && s.attributes().containsKey("pgtrickle.cdc.lsn.last")));
        Children.await(
            "the programs' metrics, under their /metrics names",
            Duration.ofSeconds(60),
            () -> {
              List<OtelCollector.Metric> metrics = collector.metrics();
              return has(metrics, "shop-cdc", "pg_trickle_cdc_events")
                  && has(metrics, "shop-cdc", "pg_trickle_cdc_lag_p95_ms")
                  && has(metrics, "shop-cdc", "pg_trickle_cdc_slot_lag_bytes")
                  && has(metrics, "shop-worker", "pg_trickle_refreshes")
                  && has(metrics, "shop-worker", "pg_trickle_freshness_lag_ms")
                  && has(metrics, "shop-worker", "pg_trickle_worker_cpu_percent");
            });

        // The collector goes away: nothing the pipeline does may wait for it.
        collector.stop();
        for (int round = 0; round < 3; round++) {
          db.sql(
              "INSERT INTO public.items SELECT g, g % 10, g % 100 FROM generate_series("
                  + (1000 + round * 100)
                  + ", "
                  + (1099 + round * 100)
                  + ") g");
          db.awaitFresh(
              db.one("SELECT pg_current_wal_insert_lsn()::text"), Duration.ofSeconds(30), dir);
        }
        RefreshAudit.assertAllEqualQuery(db);
        assertThat(Children.http(workerPort, "/healthz").status()).isEqualTo(200);
        assertThat(Children.http(workerPort, "/readyz").status()).isEqualTo(200);
        assertThat(Children.http(cdcPort, "/healthz").status()).isEqualTo(200);
        assertThat(Children.http(cdcPort, "/readyz").status()).isEqualTo(200);
        Children.await(
            "failed exports counted on both programs' /metrics",
            Duration.ofSeconds(60),
            () ->
                failures(Children.http(workerPort, "/metrics").body()) > 0
                    && failures(Children.http(cdcPort, "/metrics").body()) > 0);
        assertThat(Children.http(workerPort, "/metrics").body())
            .contains("pg_trickle_refreshes_total{mode=\"DIFFERENTIAL\",outcome=\"completed\"}")
            .contains("pg_trickle_otlp_spans_dropped_total");
        assertThat(Children.http(cdcPort, "/metrics").body())
            .contains("pg_trickle_cdc_events_total");
        worker.destroy();
        assertThat(worker.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(worker.exitValue()).as("exit after SIGTERM, collector gone").isZero();
      } finally {
        if (worker != null) {
          worker.destroyForcibly();
        }
        ServerProcess.stop(cdc, 30);
      }
    }
  }

  /** The variables the operator gives a pod with spec.monitoring.otlp (OtlpExport). */
  private static Map<String, String> otel(
      String endpoint, String protocol, String service, String program) {
    Map<String, String> env = new HashMap<>();
    env.put("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint);
    env.put("OTEL_EXPORTER_OTLP_PROTOCOL", protocol);
    env.put("OTEL_SERVICE_NAME", service);
    env.put(
        "OTEL_RESOURCE_ATTRIBUTES",
        "service.namespace=prod,k8s.namespace.name=prod,k8s.pod.name="
            + service
            + "-0,pgtrickle.stream_table_cluster=shop,pgtrickle.program="
            + program);
    // Short intervals for the test; the default is 10 s.
    env.put("OTEL_METRIC_EXPORT_INTERVAL", "1000");
    env.put("OTEL_EXPORTER_OTLP_TIMEOUT", "2000");
    return env;
  }

  private static boolean has(List<OtelCollector.Metric> metrics, String service, String name) {
    return metrics.stream()
        .anyMatch(m -> m.name().equals(name) && service.equals(m.resource().get("service.name")));
  }

  private static final Pattern FAILURES =
      Pattern.compile("pg_trickle_otlp_export_failures_total\\{signal=\"metrics\"\\} ([0-9.E]+)");

  private static double failures(String metrics) {
    Matcher m = FAILURES.matcher(metrics);
    return m.find() ? Double.parseDouble(m.group(1)) : 0;
  }
}
