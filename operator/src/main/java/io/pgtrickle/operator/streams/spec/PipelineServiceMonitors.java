package io.pgtrickle.operator.streams.spec;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.pgtrickle.operator.streams.StreamTableClusterNames;
import java.util.List;
import java.util.Map;

/**
 * ServiceMonitors ({@code monitoring.coreos.com/v1}, Prometheus Operator) for the two metrics
 * Services, scraping the port {@code metrics} every 15 s. Generic objects: the operator carries no
 * Prometheus Operator model, and creates them only when the CRD exists.
 */
public final class PipelineServiceMonitors {

  public static final String API_VERSION = "monitoring.coreos.com/v1";
  public static final String KIND = "ServiceMonitor";

  private PipelineServiceMonitors() {}

  public static List<GenericKubernetesResource> build(PipelineSettings s) {
    return List.of(
        monitor(
            s,
            StreamTableClusterNames.cdcServiceMonitor(s.name()),
            StreamTableClusterNames.CDC_COMPONENT),
        monitor(
            s,
            StreamTableClusterNames.workerServiceMonitor(s.name()),
            StreamTableClusterNames.WORKER_COMPONENT));
  }

  private static GenericKubernetesResource monitor(
      PipelineSettings s, String name, String component) {
    return new GenericKubernetesResourceBuilder()
        .withApiVersion(API_VERSION)
        .withKind(KIND)
        .withNewMetadata()
        .withName(name)
        .withNamespace(s.namespace())
        .withLabels(s.labels(component))
        .endMetadata()
        .addToAdditionalProperties(
            "spec",
            Map.of(
                "selector",
                Map.of("matchLabels", StreamTableClusterNames.podSelector(s.name(), component)),
                "endpoints",
                List.of(
                    Map.of(
                        "port",
                        PipelinePods.METRICS_PORT_NAME,
                        "path",
                        "/metrics",
                        "interval",
                        "15s"))))
        .build();
  }
}
