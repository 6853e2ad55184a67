package io.pgtrickle.operator.streams;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.pgtrickle.operator.streams.status.ObservedPipeline.Autoscaling;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CustomMetricsApiTest {

  private static final Autoscaling FAILING =
      new Autoscaling(false, "FailedGetObjectMetric", "HPA orders-worker: unable to get metric");

  private static GenericKubernetesResource apiService(Map<String, String> labels, String service) {
    return new GenericKubernetesResourceBuilder()
        .withApiVersion("apiregistration.k8s.io/v1")
        .withKind("APIService")
        .withNewMetadata()
        .withName(CustomMetricsApi.API_SERVICE)
        .withLabels(labels)
        .endMetadata()
        .withAdditionalProperties(
            Map.of("spec", Map.of("service", Map.of("namespace", "monitoring", "name", service))))
        .build();
  }

  @Test
  void noApiServiceAtAllSaysInstallTheAdapter() {
    Autoscaling a = CustomMetricsApi.explain(FAILING, null);
    assertThat(a.active()).isFalse();
    assertThat(a.reason()).isEqualTo(CustomMetricsApi.MISSING);
    assertThat(a.message())
        .startsWith("HPA orders-worker: unable to get metric. No APIService")
        .contains("metricsAdapter.enabled", "keda");
  }

  @Test
  void anotherAdaptersApiServiceIsNamedWithTheAlternatives() {
    Autoscaling a =
        CustomMetricsApi.explain(
            FAILING, apiService(Map.of("app", "prometheus-adapter"), "prometheus-adapter"));
    assertThat(a.reason()).isEqualTo(CustomMetricsApi.SERVED_BY_ANOTHER);
    assertThat(a.message())
        .contains("Service monitoring/prometheus-adapter", "pg_trickle_cdc_lag_p95_ms", "keda");
  }

  @Test
  void ourAdaptersApiServiceLeavesTheHpasReason() {
    Autoscaling a =
        CustomMetricsApi.explain(
            FAILING,
            apiService(
                Map.of(
                    "app.kubernetes.io/component", "metrics-adapter",
                    "helm.sh/chart", "pg-trickle-0.1.0"),
                "pg-trickle-metrics-adapter"));
    assertThat(a).isEqualTo(FAILING);
  }

  @Test
  void aWorkingHpaIsNotExplained() {
    Autoscaling ok = new Autoscaling(true, "ValidMetricFound", "HPA orders-worker: fine");
    assertThat(CustomMetricsApi.explain(ok, null)).isEqualTo(ok);
  }

  @Test
  void kedasReadyConditionIsReported() {
    GenericKubernetesResource scaled =
        new GenericKubernetesResourceBuilder()
            .withNewMetadata()
            .withName("orders-worker")
            .endMetadata()
            .withAdditionalProperties(
                Map.of(
                    "status",
                    Map.of(
                        "conditions",
                        List.of(
                            Map.of("type", "Active", "status", "True"),
                            Map.of(
                                "type",
                                "Ready",
                                "status",
                                "False",
                                "reason",
                                "ScaledObjectCheckFailed",
                                "message",
                                "Target resource doesn't exist")))))
            .build();
    Autoscaling a = KedaScaledObjects.observe(scaled);
    assertThat(a)
        .isEqualTo(
            new Autoscaling(
                false,
                "ScaledObjectCheckFailed",
                "ScaledObject orders-worker: Target resource doesn't exist"));
    scaled.getAdditionalProperties().remove("status");
    assertThat(KedaScaledObjects.observe(scaled).reason()).isEqualTo("Pending");
  }
}
