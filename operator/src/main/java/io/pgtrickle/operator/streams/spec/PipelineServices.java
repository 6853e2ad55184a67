package io.pgtrickle.operator.streams.spec;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.ServicePortBuilder;
import io.pgtrickle.operator.streams.StreamTableClusterNames;

/**
 * The metrics Services and the ServiceAccounts of the two kinds of pods.
 *
 * <p>{@code NAME-cdc} is headless: it is the StatefulSet's governing Service (a stable DNS name per
 * consumer) and lists every consumer's metrics port for scraping. {@code NAME-worker} is a plain
 * Service over the workers' metrics ports. Both name the port {@code metrics}, which the
 * ServiceMonitors select.
 *
 * <p>The ServiceAccounts get no Role and no mounted token: neither program calls the Kubernetes
 * API, so their pods hold no credential for it.
 */
public final class PipelineServices {

  private PipelineServices() {}

  public static Service cdc(PipelineSettings s) {
    return service(
        s,
        StreamTableClusterNames.cdcStatefulSet(s.name()),
        StreamTableClusterNames.CDC_COMPONENT,
        true);
  }

  public static Service worker(PipelineSettings s) {
    return service(
        s,
        StreamTableClusterNames.workerService(s.name()),
        StreamTableClusterNames.WORKER_COMPONENT,
        false);
  }

  private static Service service(
      PipelineSettings s, String name, String component, boolean headless) {
    return new ServiceBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace(s.namespace())
        .withLabels(s.labels(component))
        .endMetadata()
        .withNewSpec()
        .withType("ClusterIP")
        .withClusterIP(headless ? "None" : null)
        // Consumers are found by DNS while starting, before they are ready.
        .withPublishNotReadyAddresses(headless ? true : null)
        .withSelector(StreamTableClusterNames.podSelector(s.name(), component))
        .withPorts(
            new ServicePortBuilder()
                .withName(PipelinePods.METRICS_PORT_NAME)
                .withPort(PipelinePods.METRICS_PORT)
                .withNewTargetPort(PipelinePods.METRICS_PORT_NAME)
                .withProtocol("TCP")
                .build())
        .endSpec()
        .build();
  }

  public static ServiceAccount cdcServiceAccount(PipelineSettings s) {
    return serviceAccount(
        s,
        StreamTableClusterNames.cdcServiceAccount(s.name()),
        StreamTableClusterNames.CDC_COMPONENT);
  }

  public static ServiceAccount workerServiceAccount(PipelineSettings s) {
    return serviceAccount(
        s,
        StreamTableClusterNames.workerServiceAccount(s.name()),
        StreamTableClusterNames.WORKER_COMPONENT);
  }

  private static ServiceAccount serviceAccount(PipelineSettings s, String name, String component) {
    return new ServiceAccountBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace(s.namespace())
        .withLabels(s.labels(component))
        .endMetadata()
        .withAutomountServiceAccountToken(false)
        .build();
  }
}
