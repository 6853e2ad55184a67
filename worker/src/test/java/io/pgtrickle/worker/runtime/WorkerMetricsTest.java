package io.pgtrickle.worker.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What /metrics shows: every family of the worker carries a HELP text. */
class WorkerMetricsTest {

  @Test
  void everyMetricFamilyHasHelp() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    WorkerMetrics metrics = new WorkerMetrics(registry, new WorkerState(), new CpuSampler());
    metrics.refresh("DIFFERENTIAL", "completed", Duration.ofMillis(12));
    metrics.refreshPhases("DIFFERENTIAL", Map.of("apply", 1_000_000L));
    metrics.deltaRows(10);
    metrics.freshness("public.orders_by_region", new long[] {5, 7});
    metrics.streamTableLags(
        Map.of("public.orders_by_region", 250.0), System.nanoTime(), Duration.ofMinutes(2));
    metrics.ingestWait(Duration.ofMillis(3), 1_000_000L);
    metrics.waitGaveUp();
    metrics.ingestRound(100, Duration.ofMillis(4));
    metrics.ingestLagBytes(4096);
    metrics.refreshRetried("40P01");
    metrics.streamTableStatuses(Map.of("ACTIVE", 2L));

    String text = registry.scrape();
    List<String> help = text.lines().filter(l -> l.startsWith("# HELP ")).toList();
    assertThat(help)
        .as("HELP lines")
        .anySatisfy(l -> assertThat(l).startsWith("# HELP pg_trickle_refreshes_total "));
    assertThat(help)
        .allSatisfy(
            l -> {
              String[] parts = l.split(" ", 4);
              assertThat(parts).as(l).hasSize(4);
              assertThat(parts[3].strip()).as(l).isNotEmpty();
            });
    assertThat(text)
        .as("the CDC's part of the wait")
        .contains("pg_trickle_refresh_cdc_wait_seconds_count 1")
        .contains("pg_trickle_ingest_round_seconds_count 1")
        .contains("pg_trickle_ingest_round_seconds_sum 0.004")
        .contains("pg_trickle_refresh_cdc_wait_seconds_sum 0.001")
        .contains("pg_trickle_refresh_ingest_wait_seconds_count 1");
    assertThat(text.lines().filter(l -> l.startsWith("# TYPE pg_trickle_")).count())
        .isEqualTo(help.stream().filter(l -> l.startsWith("# HELP pg_trickle_")).count());
  }

  @Test
  void streamTablesByStatusAlwaysShowEveryStatus() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    WorkerMetrics metrics = new WorkerMetrics(registry, new WorkerState(), new CpuSampler());
    assertThat(registry.scrape())
        .as("before the first catalog read: every status at 0, so alerts have a series")
        .contains("pg_trickle_stream_tables{status=\"ERROR\"} 0.0")
        .contains("pg_trickle_stream_tables{status=\"ACTIVE\"} 0.0");
    metrics.streamTableStatuses(Map.of("ACTIVE", 3L, "ERROR", 1L));
    assertThat(registry.scrape())
        .contains("pg_trickle_stream_tables{status=\"ACTIVE\"} 3.0")
        .contains("pg_trickle_stream_tables{status=\"ERROR\"} 1.0")
        .contains("pg_trickle_stream_tables{status=\"SUSPENDED\"} 0.0");
    metrics.streamTableStatuses(Map.of("ACTIVE", 4L));
    assertThat(registry.scrape())
        .as("the table in ERROR resumed")
        .contains("pg_trickle_stream_tables{status=\"ERROR\"} 0.0")
        .contains("pg_trickle_stream_tables{status=\"ACTIVE\"} 4.0");
  }

  @Test
  void retriesOfTheCommonSqlstatesExistAtZeroAndOthersAppearWhenSeen() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    WorkerMetrics metrics = new WorkerMetrics(registry, new WorkerState(), new CpuSampler());
    assertThat(registry.scrape())
        .as("before any retry: the common SQLSTATEs at 0, so the retry alert has a series")
        .contains("pg_trickle_refresh_retries_total{sqlstate=\"40001\"} 0.0")
        .contains("pg_trickle_refresh_retries_total{sqlstate=\"40P01\"} 0.0")
        .contains("pg_trickle_refresh_retries_total{sqlstate=\"55P03\"} 0.0")
        .doesNotContain("sqlstate=\"none\"");
    metrics.refreshRetried("40P01");
    metrics.refreshRetried("40P01");
    metrics.refreshRetried("08006");
    metrics.refreshRetried(null);
    assertThat(registry.scrape())
        .contains("pg_trickle_refresh_retries_total{sqlstate=\"40P01\"} 2.0")
        .contains("pg_trickle_refresh_retries_total{sqlstate=\"08006\"} 1.0")
        .contains("pg_trickle_refresh_retries_total{sqlstate=\"none\"} 1.0")
        .contains("pg_trickle_refresh_retries_total{sqlstate=\"40001\"} 0.0");
  }
}
