package io.pgtrickle.operator.streams.status;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.operator.streams.status.ObservedPipeline.Autoscaling;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CustomMetricsApiOwnerTest {

  private static final String OURS = "pg-trickle-metrics-adapter";

  @Test
  void ourAdapterOrNoApiServiceLeavesTheHpasReason() {
    assertThat(CustomMetricsApiOwner.explain(null, OURS, "shop-worker", "m")).isEmpty();
    assertThat(
            CustomMetricsApiOwner.explain(
                Map.of("service", Map.of("namespace", "pg-trickle-system", "name", OURS)),
                OURS,
                "shop-worker",
                "m"))
        .isEmpty();
  }

  @Test
  void anotherAdaptersServiceIsNamedWithTheAlternatives() {
    Autoscaling a =
        CustomMetricsApiOwner.explain(
                Map.of("service", Map.of("namespace", "monitoring", "name", "prometheus-adapter")),
                OURS,
                "shop-worker",
                "unable to get metric pg_trickle_cdc_lag_p95_ms")
            .orElseThrow();
    assertThat(a.active()).isFalse();
    assertThat(a.reason()).isEqualTo("CustomMetricsServedByAnotherAdapter");
    assertThat(a.message())
        .contains("v1beta2.custom.metrics.k8s.io")
        .contains("the Service monitoring/prometheus-adapter")
        .contains("Service " + OURS)
        .contains("HPA shop-worker")
        .contains("unable to get metric pg_trickle_cdc_lag_p95_ms")
        .contains("spec.workers.autoscaler to none");
  }

  @Test
  void aLocalApiServiceIsAnotherServerToo() {
    assertThat(
            CustomMetricsApiOwner.explain(Map.of("group", "custom.metrics.k8s.io"), OURS, "w", "m")
                .orElseThrow()
                .message())
        .contains("kube-apiserver itself");
  }
}
