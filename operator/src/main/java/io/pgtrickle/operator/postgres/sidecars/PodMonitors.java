package io.pgtrickle.operator.postgres.sidecars;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.pgtrickle.operator.ApiDiscovery;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.postgres.ClusterNames;
import io.pgtrickle.operator.postgres.spec.ExporterQueries;
import io.pgtrickle.operator.postgres.tls.ClusterTls;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Prometheus Operator {@code PodMonitor} for a cluster with {@code spec.metrics.enabled}, when
 * the API server serves {@code monitoring.coreos.com/v1} podmonitors (looked up through discovery
 * at most once a minute): the exporter's port {@code metrics} and Patroni's {@code /metrics} on
 * port {@code patroni} (HTTPS with TLS). Without that CRD the pods' {@code prometheus.io/*}
 * annotations are what a Prometheus finds them by. Turning metrics off deletes the PodMonitor.
 */
public final class PodMonitors {

  private static final Logger LOG = LoggerFactory.getLogger(PodMonitors.class);
  static final String API_VERSION = "monitoring.coreos.com/v1";

  private PodMonitors() {}

  static void reconcile(KubernetesClient client, PostgresCluster cluster) {
    if (!ApiDiscovery.serves(client, API_VERSION, "PodMonitor")) {
      return;
    }
    try {
      if (!ExporterQueries.enabled(cluster)) {
        // Metrics turned off (or never on): no PodMonitor scraping a port the pods no longer have.
        client
            .genericKubernetesResources(API_VERSION, "PodMonitor")
            .inNamespace(cluster.getMetadata().getNamespace())
            .withName(ClusterNames.podMonitor(cluster))
            .delete();
        return;
      }
      client
          .resource(build(cluster))
          .fieldManager(ClusterNames.FIELD_MANAGER)
          .forceConflicts()
          .serverSideApply();
    } catch (KubernetesClientException e) {
      LOG.warn("PodMonitor of {} not applied: {}", cluster.getMetadata().getName(), e.getMessage());
    }
  }

  /** The PodMonitor, pure. */
  public static GenericKubernetesResource build(PostgresCluster cluster) {
    Map<String, Object> exporter = new LinkedHashMap<>();
    exporter.put("port", "metrics");
    exporter.put("path", "/metrics");
    Map<String, Object> patroni = new LinkedHashMap<>();
    patroni.put("port", "patroni");
    patroni.put("path", "/metrics");
    if (ClusterTls.enabled(cluster)) {
      patroni.put("scheme", "https");
      patroni.put(
          "tlsConfig",
          Map.of(
              "ca",
              Map.of(
                  "secret", Map.of("name", ClusterNames.caSecret(cluster), "key", ClusterTls.CA)),
              "serverName",
              ClusterNames.headlessService(cluster)
                  + "."
                  + cluster.getMetadata().getNamespace()
                  + ".svc"));
    }
    Map<String, Object> spec = new LinkedHashMap<>();
    spec.put("selector", Map.of("matchLabels", ClusterNames.podSelector(cluster)));
    spec.put("podMetricsEndpoints", List.of(exporter, patroni));
    return new GenericKubernetesResourceBuilder()
        .withApiVersion(API_VERSION)
        .withKind("PodMonitor")
        .withNewMetadata()
        .withName(ClusterNames.podMonitor(cluster))
        .withNamespace(cluster.getMetadata().getNamespace())
        .withLabels(ClusterNames.labels(cluster, "metrics"))
        .withOwnerReferences(
            new OwnerReferenceBuilder()
                .withApiVersion(cluster.getApiVersion())
                .withKind(cluster.getKind())
                .withName(cluster.getMetadata().getName())
                .withUid(cluster.getMetadata().getUid())
                .withController(true)
                .withBlockOwnerDeletion(true)
                .build())
        .endMetadata()
        .withAdditionalProperties(Map.of("spec", spec))
        .build();
  }
}
