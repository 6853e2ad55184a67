package io.pgtrickle.operator.streams.status;

import io.pgtrickle.operator.streams.status.ObservedPipeline.Autoscaling;
import java.util.Map;
import java.util.Optional;

/**
 * Why an HPA cannot read the CDC lag when another server owns {@code custom.metrics.k8s.io} (issue
 * #15 §3): the APIService {@value #API_SERVICE} names a Service other than the pg-trickle metrics
 * adapter's (prometheus-adapter, KEDA's, ...). The operator never changes that APIService; the
 * AutoscalingActive condition says who serves the API and what the alternatives are. Pure.
 */
public final class CustomMetricsApiOwner {

  /** The APIService the HPA controller reads the workers' metrics through. */
  public static final String API_SERVICE = "v1beta2.custom.metrics.k8s.io";

  /** The reason of AutoscalingActive=False when another server owns the API. */
  public static final String SERVED_BY_ANOTHER_ADAPTER = "CustomMetricsServedByAnotherAdapter";

  private CustomMetricsApiOwner() {}

  /**
   * The AutoscalingActive verdict when the HPA is not active and {@code apiServiceSpec} (the
   * APIService's {@code spec}, null when there is none) routes the API to another server than the
   * Service named {@code adapterService}; empty when it routes to that Service, or there is no
   * APIService (then the HPA's own reason says enough).
   *
   * @param hpa the HPA's name
   * @param hpaMessage what the HPA's ScalingActive condition says
   */
  public static Optional<Autoscaling> explain(
      Map<String, Object> apiServiceSpec, String adapterService, String hpa, String hpaMessage) {
    if (apiServiceSpec == null) {
      return Optional.empty();
    }
    String server;
    if (apiServiceSpec.get("service") instanceof Map<?, ?> service) {
      if (adapterService.equals(service.get("name"))) {
        return Optional.empty();
      }
      server = "the Service " + service.get("namespace") + "/" + service.get("name");
    } else {
      server = "kube-apiserver itself (no spec.service)";
    }
    return Optional.of(
        new Autoscaling(
            false,
            SERVED_BY_ANOTHER_ADAPTER,
            "APIService "
                + API_SERVICE
                + " is served by "
                + server
                + ", not by the pg-trickle metrics adapter (Service "
                + adapterService
                + "), and the operator leaves it alone: HPA "
                + hpa
                + " cannot read the CDC lag from it ("
                + hpaMessage
                + "). Make that server serve pg_trickle_cdc_lag_p95_ms and"
                + " pg_trickle_worker_cpu_percent, or set spec.workers.autoscaler to none"
                + " (metrics-adapter/README.md, \"Other adapters\")"));
  }
}
