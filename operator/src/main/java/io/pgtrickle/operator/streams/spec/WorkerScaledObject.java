package io.pgtrickle.operator.streams.spec;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.pgtrickle.operator.streams.StreamTableClusterNames;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The workers' KEDA ScaledObject {@code NAME-worker} ({@code keda.sh/v1alpha1}), for {@code
 * workers.autoscaler: keda}: users who already run KEDA keep it as the one owner of the external
 * metrics API, and KEDA makes and owns the HPA ({@code keda-hpa-NAME-worker}).
 *
 * <p>Two {@code metrics-api} triggers read the pods' Prometheus text directly (KEDA 2.19 or later:
 * {@code format: prometheus} since 2.14, {@code aggregateFromKubeServiceEndpoints} since 2.19), so
 * no Prometheus server and no pg-trickle metrics adapter are needed:
 *
 * <ul>
 *   <li>{@value WorkerAutoscaler#CDC_LAG_METRIC} from every CDC consumer behind {@code NAME-cdc},
 *       the largest, target {@code targetCdcLagMs} with {@code metricType: Value} (desired =
 *       ceil(workers x lag / target), as the HPA's Object metric in {@link WorkerAutoscaler});
 *   <li>{@value WorkerAutoscaler#CPU_METRIC} from every worker behind {@code NAME-worker}, the
 *       average, target {@code targetCpuPercent} (percent of one core) with {@code metricType:
 *       Value}, which scales like the HPA's Pods metric with an average target.
 * </ul>
 *
 * The fields follow KEDA's published CRD {@code config/crd/bases/keda.sh_scaledobjects.yaml} and
 * the metrics-api scaler's metadata ({@code pkg/scalers/metrics_api_scaler.go}); the
 * StreamTableClusterKedaIT applies this object against that CRD on a real API server.
 */
public final class WorkerScaledObject {

  public static final String API_VERSION = "keda.sh/v1alpha1";
  public static final String KIND = "ScaledObject";

  private WorkerScaledObject() {}

  public static GenericKubernetesResource build(PipelineSettings s) {
    String name = s.name();
    Map<String, Object> spec = new LinkedHashMap<>();
    spec.put(
        "scaleTargetRef",
        Map.of(
            "apiVersion",
            "apps/v1",
            "kind",
            "Deployment",
            "name",
            StreamTableClusterNames.workerDeployment(name)));
    spec.put("minReplicaCount", s.workersMin());
    spec.put("maxReplicaCount", s.workersMax());
    spec.put(
        "triggers",
        List.of(
            trigger(
                "cdc-lag",
                serviceUrl(s, StreamTableClusterNames.cdcStatefulSet(name)),
                WorkerAutoscaler.CDC_LAG_METRIC,
                "max",
                s.targetCdcLagMs()),
            trigger(
                "worker-cpu",
                serviceUrl(s, StreamTableClusterNames.workerService(name)),
                WorkerAutoscaler.CPU_METRIC,
                "average",
                s.targetCpuPercent())));
    return new GenericKubernetesResourceBuilder()
        .withApiVersion(API_VERSION)
        .withKind(KIND)
        .withNewMetadata()
        .withName(StreamTableClusterNames.workerAutoscaler(name))
        .withNamespace(s.namespace())
        .withLabels(s.labels(StreamTableClusterNames.WORKER_COMPONENT))
        .endMetadata()
        .withAdditionalProperties(Map.of("spec", spec))
        .build();
  }

  /**
   * {@code http://SERVICE.NAMESPACE.svc:PORT/metrics}: KEDA reads the Service's name and namespace
   * from the first two labels of the host to list its endpoints.
   */
  static String serviceUrl(PipelineSettings s, String service) {
    return "http://"
        + service
        + "."
        + s.namespace()
        + ".svc:"
        + PipelinePods.METRICS_PORT
        + "/metrics";
  }

  private static Map<String, Object> trigger(
      String name, String url, String metric, String aggregation, long target) {
    Map<String, String> metadata = new LinkedHashMap<>();
    metadata.put("url", url);
    metadata.put("format", "prometheus");
    metadata.put("valueLocation", metric);
    metadata.put("aggregateFromKubeServiceEndpoints", "true");
    metadata.put("aggregationType", aggregation);
    metadata.put("targetValue", String.valueOf(target));
    Map<String, Object> trigger = new LinkedHashMap<>();
    trigger.put("type", "metrics-api");
    trigger.put("name", name);
    trigger.put("metricType", "Value");
    trigger.put("metadata", metadata);
    return trigger;
  }
}
