package io.pgtrickle.operator.streams.spec;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Services, ServiceAccounts, the HPA and the ServiceMonitors. */
class PipelineServicesTest {

  private final PipelineSettings s = Pipelines.settings(Pipelines.REF);

  @Test
  void metricsServicesSelectTheirPodsOnANamedPort() {
    Service cdc = PipelineServices.cdc(s);
    assertThat(cdc.getSpec().getClusterIP()).isEqualTo("None");
    assertThat(cdc.getSpec().getSelector())
        .containsEntry("app.kubernetes.io/component", "cdc-consumer")
        .containsEntry("trickle-labs.io/stream-table-cluster", "orders");
    Service worker = PipelineServices.worker(s);
    assertThat(worker.getMetadata().getName()).isEqualTo("orders-worker");
    assertThat(worker.getSpec().getPorts().get(0).getName()).isEqualTo("metrics");
    assertThat(PipelineServices.workerServiceAccount(s).getAutomountServiceAccountToken())
        .isFalse();
  }

  @Test
  void theAutoscalerScalesOnCdcLagOfThisResourceAndWorkerCpu() {
    HorizontalPodAutoscaler hpa = WorkerAutoscaler.build(s);
    assertThat(hpa.getMetadata().getName()).isEqualTo("orders-worker");
    assertThat(hpa.getSpec().getScaleTargetRef().getName()).isEqualTo("orders-worker");
    assertThat(hpa.getSpec().getMinReplicas()).isEqualTo(2);
    assertThat(hpa.getSpec().getMaxReplicas()).isEqualTo(8);
    var lag = hpa.getSpec().getMetrics().get(0).getObject();
    assertThat(lag.getMetric().getName()).isEqualTo("pg_trickle_cdc_lag_p95_ms");
    assertThat(lag.getDescribedObject().getKind()).isEqualTo("StreamTableCluster");
    assertThat(lag.getDescribedObject().getApiVersion()).isEqualTo("trickle-labs.io/v1alpha1");
    assertThat(lag.getDescribedObject().getName()).isEqualTo("orders");
    assertThat(lag.getTarget().getType()).isEqualTo("Value");
    assertThat(lag.getTarget().getValue().toString()).isEqualTo("100");
    var cpu = hpa.getSpec().getMetrics().get(1).getPods();
    assertThat(cpu.getMetric().getName()).isEqualTo("pg_trickle_worker_cpu_percent");
    assertThat(cpu.getTarget().getAverageValue().toString()).isEqualTo("70");
  }

  @Test
  @SuppressWarnings("unchecked")
  void serviceMonitorsScrapeTheMetricsPort() {
    List<GenericKubernetesResource> monitors = PipelineServiceMonitors.build(s);
    assertThat(monitors)
        .extracting(m -> m.getMetadata().getName())
        .containsExactly("orders-cdc", "orders-worker");
    Map<String, Object> spec =
        (Map<String, Object>) monitors.get(1).getAdditionalProperties().get("spec");
    assertThat(((List<Map<String, Object>>) spec.get("endpoints")).get(0))
        .containsEntry("port", "metrics");
  }
}
