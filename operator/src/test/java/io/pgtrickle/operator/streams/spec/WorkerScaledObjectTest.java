package io.pgtrickle.operator.streams.spec;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WorkerScaledObjectTest {

  @SuppressWarnings("unchecked")
  private static Map<String, Object> spec(GenericKubernetesResource o) {
    return (Map<String, Object>) o.getAdditionalProperties().get("spec");
  }

  @Test
  void scalesTheWorkerDeploymentBetweenMinAndMaxOnLagAndCpu() {
    GenericKubernetesResource o =
        WorkerScaledObject.build(
            Pipelines.settings(
                "{postgresql: {clusterRef: {name: db}, database: app}, workers: {min: 2, max: 8,"
                    + " targetCdcLagMs: 250, targetCpuPercent: 65, autoscaler: keda}}"));
    assertThat(o.getApiVersion()).isEqualTo("keda.sh/v1alpha1");
    assertThat(o.getKind()).isEqualTo("ScaledObject");
    assertThat(o.getMetadata().getName()).isEqualTo("orders-worker");
    assertThat(o.getMetadata().getNamespace()).isEqualTo("prod");
    Map<String, Object> spec = spec(o);
    assertThat(spec.get("scaleTargetRef"))
        .isEqualTo(Map.of("apiVersion", "apps/v1", "kind", "Deployment", "name", "orders-worker"));
    assertThat(spec).containsEntry("minReplicaCount", 2).containsEntry("maxReplicaCount", 8);
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> triggers = (List<Map<String, Object>>) spec.get("triggers");
    assertThat(triggers).hasSize(2);
    assertThat(triggers)
        .allSatisfy(
            t -> {
              assertThat(t)
                  .containsEntry("type", "metrics-api")
                  .containsEntry("metricType", "Value");
              assertThat((Map<String, String>) t.get("metadata"))
                  .containsEntry("format", "prometheus")
                  .containsEntry("aggregateFromKubeServiceEndpoints", "true");
            });
    Map<String, String> lag = (Map<String, String>) triggers.get(0).get("metadata");
    assertThat(lag)
        .containsEntry("url", "http://orders-cdc.prod.svc:8080/metrics")
        .containsEntry("valueLocation", "pg_trickle_cdc_lag_p95_ms")
        .containsEntry("aggregationType", "max")
        .containsEntry("targetValue", "250");
    Map<String, String> cpu = (Map<String, String>) triggers.get(1).get("metadata");
    assertThat(cpu)
        .containsEntry("url", "http://orders-worker.prod.svc:8080/metrics")
        .containsEntry("valueLocation", "pg_trickle_worker_cpu_percent")
        .containsEntry("aggregationType", "average")
        .containsEntry("targetValue", "65");
  }
}
