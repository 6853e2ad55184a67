package io.pgtrickle.operator.streams;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.pgtrickle.operator.streams.status.ObservedPipeline.Autoscaling;
import java.util.Map;
import java.util.Set;

/**
 * Why an HPA cannot read the workers' metrics, when the custom metrics API is the cause: no {@code
 * v1beta2.custom.metrics.k8s.io} APIService at all, or one that another adapter (such as
 * prometheus-adapter) serves. The pg-trickle chart never takes over an APIService it did not
 * create, so such a cluster gets this explanation and the alternatives instead (issue #15 §3).
 */
final class CustomMetricsApi {

  static final String API_SERVICE = "v1beta2.custom.metrics.k8s.io";
  static final String MISSING = "CustomMetricsApiMissing";
  static final String SERVED_BY_ANOTHER = "CustomMetricsApiServedByAnother";

  /** The HPA's reasons for a metric it could not get (kube-controller-manager's podautoscaler). */
  private static final Set<String> METRIC_FAILURES =
      Set.of("FailedGetObjectMetric", "FailedGetPodsMetric");

  private CustomMetricsApi() {}

  /**
   * The HPA's state, explained when it fails to get a metric and the APIService is the reason;
   * unchanged otherwise (also when the APIService cannot be read, e.g. without the RBAC rule).
   */
  static Autoscaling explain(KubernetesClient client, Autoscaling hpa) {
    if (hpa.active() || !METRIC_FAILURES.contains(hpa.reason())) {
      return hpa;
    }
    GenericKubernetesResource apiService;
    try {
      apiService =
          client
              .genericKubernetesResources("apiregistration.k8s.io/v1", "APIService")
              .withName(API_SERVICE)
              .get();
    } catch (KubernetesClientException e) {
      return hpa;
    }
    return explain(hpa, apiService);
  }

  /** Pure: the explanation for an APIService as read (null: there is none). */
  static Autoscaling explain(Autoscaling hpa, GenericKubernetesResource apiService) {
    if (hpa.active() || !METRIC_FAILURES.contains(hpa.reason())) {
      return hpa;
    }
    String alternatives =
        " Alternatives: spec.workers.autoscaler keda (KEDA reads the pods' /metrics itself) or"
            + " none.";
    if (apiService == null) {
      return new Autoscaling(
          false,
          MISSING,
          hpa.message()
              + ". No APIService "
              + API_SERVICE
              + ": install the pg-trickle metrics adapter (chart value metricsAdapter.enabled)."
              + alternatives);
    }
    if (ours(apiService)) {
      return hpa;
    }
    Object spec = apiService.getAdditionalProperties().get("spec");
    Object service = spec instanceof Map<?, ?> m ? m.get("service") : null;
    String by =
        service instanceof Map<?, ?> svc
            ? "Service " + svc.get("namespace") + "/" + svc.get("name")
            : "the API server itself";
    return new Autoscaling(
        false,
        SERVED_BY_ANOTHER,
        hpa.message()
            + ". APIService "
            + API_SERVICE
            + " is served by "
            + by
            + ", not the pg-trickle metrics adapter (which never takes over an APIService it did"
            + " not create): make that adapter serve pg_trickle_cdc_lag_p95_ms and"
            + " pg_trickle_worker_cpu_percent."
            + alternatives);
  }

  /** The chart labels its APIServices as the metrics adapter's (charts/pg-trickle, _helpers). */
  private static boolean ours(GenericKubernetesResource apiService) {
    Map<String, String> labels = apiService.getMetadata().getLabels();
    return labels != null
        && "metrics-adapter".equals(labels.get("app.kubernetes.io/component"))
        && labels.getOrDefault("helm.sh/chart", "").startsWith("pg-trickle-");
  }
}
