package io.pgtrickle.adapter.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.pgtrickle.adapter.custommetrics.LabelSelector;
import io.pgtrickle.adapter.sources.PodScraper;
import io.pgtrickle.adapter.sources.PrometheusText;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AggregationTest {

  private static final List<PrometheusText.Sample> WORKER =
      PrometheusText.parse(
          "pg_trickle_freshness_lag_ms{stream_table=\"public.a\"} 120\n"
              + "pg_trickle_freshness_lag_ms{stream_table=\"public.b\"} 80\n"
              + "pg_trickle_freshness_lag_ms{stream_table=\"public.c\"} NaN\n"
              + "pg_trickle_worker_cpu_percent 35.5\n");

  @Test
  void aPodsValueIsItsWorstMatchingSeries() {
    assertThat(
            Aggregation.podValue(WORKER, "pg_trickle_freshness_lag_ms", LabelSelector.EVERYTHING))
        .hasValue(120);
    assertThat(
            Aggregation.podValue(
                WORKER,
                "pg_trickle_freshness_lag_ms",
                LabelSelector.parse("stream_table=public.b", "m")))
        .hasValue(80);
    assertThat(Aggregation.podValue(WORKER, "pg_trickle_cdc_lag_p95_ms", LabelSelector.EVERYTHING))
        .isEmpty();
  }

  @Test
  void podsCombineByMaxOrAverage() {
    assertThat(Aggregation.combine(List.of(10.0, 30.0, 20.0), PipelineMetric.Aggregation.MAX))
        .isEqualTo(30.0);
    assertThat(Aggregation.combine(List.of(10.0, 30.0, 20.0), PipelineMetric.Aggregation.AVERAGE))
        .isEqualTo(20.0);
  }

  private static List<PrometheusText.Sample> lags(String... tableAndMs) {
    StringBuilder text = new StringBuilder("pg_trickle_worker_cpu_percent 99\n");
    for (int i = 0; i < tableAndMs.length; i += 2) {
      text.append("pg_trickle_stream_table_lag_ms{stream_table=\"")
          .append(tableAndMs[i])
          .append("\"} ")
          .append(tableAndMs[i + 1])
          .append('\n');
    }
    return PrometheusText.parse(text.toString());
  }

  @Test
  void streamTableLagIsTheWorstStreamTableOfTheFreshestRead() {
    String m = "pg_trickle_stream_table_lag_ms";
    // Worker 1 read the catalog just before public.b was refreshed, worker 2 just after; worker 3
    // has not read it for too long (NaN) and does not know public.c yet.
    List<List<PrometheusText.Sample>> pods =
        List.of(
            lags("public.a", "500", "public.b", "2000", "public.c", "300"),
            lags("public.a", "700", "public.b", "40", "public.c", "250"),
            lags("public.a", "NaN", "public.b", "NaN"));
    // a: 500, b: 40, c: 250 -> 500 (the largest pod value, 2000, is a stale read of public.b).
    assertThat(Aggregation.worstSeriesFreshestRead(pods, m, LabelSelector.EVERYTHING))
        .hasValue(500);
    assertThat(
            Aggregation.worstSeriesFreshestRead(
                pods, m, LabelSelector.parse("stream_table=public.b", "m")))
        .hasValue(40);
    assertThat(
            Aggregation.worstSeriesFreshestRead(
                pods, m, LabelSelector.parse("stream_table notin (public.a)", "m")))
        .hasValue(250);
    // A series only one pod has counts (a stream table created since the others' reads).
    assertThat(
            Aggregation.worstSeriesFreshestRead(
                List.of(lags("public.a", "10"), lags("public.a", "20", "public.new", "90")),
                m,
                LabelSelector.EVERYTHING))
        .hasValue(90);
    // Nobody measures: no value (the caller answers an error, never 0).
    assertThat(
            Aggregation.worstSeriesFreshestRead(
                List.of(lags("public.a", "NaN"), lags()), m, LabelSelector.EVERYTHING))
        .isEmpty();
    assertThat(Aggregation.worstSeriesFreshestRead(List.of(), m, LabelSelector.EVERYTHING))
        .isEmpty();
    assertThat(
            Aggregation.worstSeriesFreshestRead(
                pods, m, LabelSelector.parse("stream_table=public.zz", "m")))
        .isEmpty();
  }

  @Test
  void scrapeTargets() {
    Pod running =
        new PodBuilder()
            .withNewMetadata()
            .withName("w-1")
            .withNamespace("ns")
            .endMetadata()
            .withNewSpec()
            .addNewContainer()
            .withName("worker")
            .addNewPort()
            .withName("metrics")
            .withContainerPort(9102)
            .endPort()
            .endContainer()
            .endSpec()
            .withNewStatus()
            .withPhase("Running")
            .withPodIP("127.36.0.5")
            .endStatus()
            .build();
    assertThat(PipelinePods.target(running))
        .contains(new PodScraper.Target("ns", "w-1", "127.36.0.5", 9102));
    Pod annotated =
        new PodBuilder(running)
            .editSpec()
            .editFirstContainer()
            .withPorts()
            .endContainer()
            .endSpec()
            .editMetadata()
            .addToAnnotations("prometheus.io/port", "9000")
            .endMetadata()
            .build();
    assertThat(PipelinePods.metricsPort(annotated)).isEqualTo(9000);
    Pod plain =
        new PodBuilder(annotated).editMetadata().withAnnotations(Map.of()).endMetadata().build();
    assertThat(PipelinePods.metricsPort(plain)).isEqualTo(8080);
    Pod pending = new PodBuilder(running).editStatus().withPhase("Pending").endStatus().build();
    assertThat(PipelinePods.target(pending)).isEmpty();
  }

  @Test
  void discoveryListsObjectMetricsForStreamTableClustersAndDeploymentsAndPodMetrics() {
    assertThat(PipelineNames.discoveryResources())
        .contains(
            "streamtableclusters.trickle-labs.io/pg_trickle_cdc_lag_p95_ms",
            "deployments.apps/pg_trickle_cdc_lag_p95_ms",
            "pods/pg_trickle_worker_cpu_percent",
            "pods/pg_trickle_cdc_lag_p95_ms",
            "streamtableclusters.trickle-labs.io/pg_trickle_stream_table_lag_ms",
            "deployments.apps/pg_trickle_stream_table_lag_ms",
            "pods/pg_trickle_stream_table_lag_ms");
  }

  @Test
  void aPodIsReadyOnlyWithItsReadyConditionTrue() {
    Pod starting =
        new PodBuilder()
            .withNewStatus()
            .withPhase("Running")
            .addNewCondition()
            .withType("Ready")
            .withStatus("False")
            .endCondition()
            .addNewCondition()
            .withType("ContainersReady")
            .withStatus("True")
            .endCondition()
            .endStatus()
            .build();
    assertThat(PipelinePods.ready(starting)).isFalse();
    assertThat(PipelinePods.ready(new PodBuilder().withNewStatus().endStatus().build())).isFalse();
    assertThat(PipelinePods.ready(new PodBuilder().build())).isFalse();
    Pod ready =
        new PodBuilder(starting)
            .editStatus()
            .editMatchingCondition(c -> "Ready".equals(c.getType()))
            .withStatus("True")
            .endCondition()
            .endStatus()
            .build();
    assertThat(PipelinePods.ready(ready)).isTrue();
  }
}
