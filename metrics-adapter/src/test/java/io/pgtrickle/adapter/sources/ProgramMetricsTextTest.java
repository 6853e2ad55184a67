package io.pgtrickle.adapter.sources;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.pgtrickle.adapter.custommetrics.LabelSelector;
import io.pgtrickle.adapter.pipeline.Aggregation;
import io.pgtrickle.cdc.pipeline.CdcMetrics;
import io.pgtrickle.cdc.pipeline.ConsumerState;
import io.pgtrickle.worker.runtime.CpuSampler;
import io.pgtrickle.worker.runtime.WorkerMetrics;
import io.pgtrickle.worker.runtime.WorkerState;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The adapter reads what the programs really write: their own metrics classes render to Prometheus
 * text, the adapter's parser reads it back, and the served metrics are there.
 */
class ProgramMetricsTextTest {

  @Test
  void theCdcConsumersLag() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    new CdcMetrics(registry, new ConsumerState());
    for (int ms = 1; ms <= 100; ms++) {
      registry.get("pg_trickle_cdc_lag").timer().record(Duration.ofMillis(ms));
    }
    List<PrometheusText.Sample> samples = PrometheusText.parse(registry.scrape());
    assertThat(
            Aggregation.podValue(samples, "pg_trickle_cdc_lag_p95_ms", LabelSelector.EVERYTHING)
                .orElseThrow())
        .isBetween(80.0, 110.0);
  }

  @Test
  void theWorkersCpuSurvivesGarbageCollection() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    new WorkerMetrics(registry, new WorkerState(), new CpuSampler());
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    List<PrometheusText.Sample> samples = PrometheusText.parse(registry.scrape());
    assertThat(
            Aggregation.onlyNaN(samples, "pg_trickle_worker_cpu_percent", LabelSelector.EVERYTHING))
        .isFalse();
    assertThat(
            Aggregation.podValue(
                samples, "pg_trickle_worker_cpu_percent", LabelSelector.EVERYTHING))
        .isPresent();
  }

  @Test
  void theWorkersCpuQueueAndFreshness() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    WorkerMetrics metrics = new WorkerMetrics(registry, new WorkerState(), new CpuSampler());
    metrics.refresh("FULL", "completed", Duration.ofMillis(12));
    metrics.refresh("DIFFERENTIAL", "failed", Duration.ofMillis(3));
    metrics.deltaRows(42);
    metrics.freshness("public.totals_1", new long[] {5, 10, 250});
    metrics.freshness("public.totals_2", new long[] {7});
    metrics.queueDepth(3);
    metrics.streamTableLags(
        java.util.Map.of("public.totals_1", 400.0, "public.totals_2", 90.0),
        System.nanoTime(),
        Duration.ofMinutes(2));
    List<PrometheusText.Sample> samples = PrometheusText.parse(registry.scrape());
    // At least the lag at the read, plus the moments since (well under a minute here).
    assertThat(
            Aggregation.worstSeriesFreshestRead(
                    List.of(samples), "pg_trickle_stream_table_lag_ms", LabelSelector.EVERYTHING)
                .orElseThrow())
        .isBetween(400.0, 60_400.0);
    assertThat(
            Aggregation.podValue(
                    samples,
                    "pg_trickle_stream_table_lag_ms",
                    LabelSelector.parse("stream_table=public.totals_2", "m"))
                .orElseThrow())
        .isBetween(90.0, 60_090.0);
    assertThat(
            Aggregation.podValue(
                samples, "pg_trickle_worker_cpu_percent", LabelSelector.EVERYTHING))
        .isPresent();
    assertThat(
            Aggregation.podValue(
                samples, "pg_trickle_parallel_queue_depth", LabelSelector.EVERYTHING))
        .hasValue(3);
    assertThat(
            Aggregation.podValue(
                    samples,
                    "pg_trickle_freshness_lag_ms",
                    LabelSelector.parse("stream_table=public.totals_2", "m"))
                .orElseThrow())
        .isBetween(6.0, 8.0);
  }
}
