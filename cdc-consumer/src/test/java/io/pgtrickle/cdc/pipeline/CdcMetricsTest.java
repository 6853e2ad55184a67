package io.pgtrickle.cdc.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What /metrics shows: every family of the consumer carries a HELP text. */
class CdcMetricsTest {

  @Test
  void everyMetricFamilyHasHelp() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    new CdcMetrics(registry, new ConsumerState());
    String text = registry.scrape();
    List<String> help = text.lines().filter(l -> l.startsWith("# HELP pg_trickle_")).toList();
    assertThat(help)
        .anySatisfy(l -> assertThat(l).startsWith("# HELP pg_trickle_cdc_events_total "));
    assertThat(help)
        .allSatisfy(
            l -> {
              String[] parts = l.split(" ", 4);
              assertThat(parts).as(l).hasSize(4);
              assertThat(parts[3].strip()).as(l).isNotEmpty();
            });
    assertThat(text.lines().filter(l -> l.startsWith("# TYPE pg_trickle_")).count())
        .isEqualTo(help.size());
  }
}
