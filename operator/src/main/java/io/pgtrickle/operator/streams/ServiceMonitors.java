package io.pgtrickle.operator.streams;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.pgtrickle.operator.ApiDiscovery;
import io.pgtrickle.operator.api.streams.StreamTableCluster;
import io.pgtrickle.operator.streams.spec.PipelineServiceMonitors;
import io.pgtrickle.operator.streams.spec.PipelineSettings;
import io.pgtrickle.operator.streams.status.ObservedPipeline.Monitoring;

/**
 * Applies the ServiceMonitors when {@code monitoring.serviceMonitor} is true and their CRD exists
 * (read from API discovery, cached for a minute), removes them when it is turned off, and reports
 * which it is for the MonitoringReady condition.
 */
final class ServiceMonitors {

  private ServiceMonitors() {}

  /** Returns the condition's state, or null when ServiceMonitors are not asked for. */
  static Monitoring reconcile(KubernetesClient client, StreamTableCluster stc, PipelineSettings s) {
    boolean present =
        ApiDiscovery.serves(
            client, PipelineServiceMonitors.API_VERSION, PipelineServiceMonitors.KIND);
    if (!s.serviceMonitor()) {
      if (present) {
        for (GenericKubernetesResource m : PipelineServiceMonitors.build(s)) {
          client
              .genericKubernetesResources(
                  PipelineServiceMonitors.API_VERSION, PipelineServiceMonitors.KIND)
              .inNamespace(s.namespace())
              .withName(m.getMetadata().getName())
              .delete();
        }
      }
      return null;
    }
    if (!present) {
      return new Monitoring(
          false,
          "ServiceMonitorCrdMissing",
          "spec.monitoring.serviceMonitor: the monitoring.coreos.com/v1 ServiceMonitor CRD is not"
              + " installed (Prometheus Operator); the pods still serve /metrics on port metrics");
    }
    for (GenericKubernetesResource m : PipelineServiceMonitors.build(s)) {
      Owned.apply(client, stc, m);
    }
    return new Monitoring(
        true, "Created", "ServiceMonitors " + s.name() + "-cdc and " + s.name() + "-worker");
  }
}
