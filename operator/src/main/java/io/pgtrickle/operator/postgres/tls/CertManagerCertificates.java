package io.pgtrickle.operator.postgres.tls;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.pgtrickle.operator.ApiDiscovery;
import io.pgtrickle.operator.api.CertManagerSpec;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.postgres.ClusterNames;
import io.pgtrickle.operator.postgres.ClusterValidation.Problem;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Applies the cluster's cert-manager Certificate ({@link CertManagerCertificate}) with {@code
 * spec.tls.certManager}, and deletes the one it owns when that is removed (so cert-manager stops
 * writing {@code NAME-tls}, which the operator's own CA then takes over). Without cert-manager's
 * CRD the status says so.
 */
final class CertManagerCertificates {

  private CertManagerCertificates() {}

  /** Returns a problem for the status, or empty once the Certificate is applied. */
  static Optional<Problem> reconcile(KubernetesClient client, PostgresCluster cluster) {
    boolean served =
        ApiDiscovery.serves(
            client, CertManagerCertificate.API_VERSION, CertManagerCertificate.KIND);
    Optional<CertManagerSpec> spec = ClusterTls.certManager(cluster);
    if (spec.isEmpty()) {
      if (served) {
        removeOwned(client, cluster);
      }
      return Optional.empty();
    }
    if (!served) {
      return Optional.of(
          new Problem(
              "CertManagerNotInstalled",
              "spec.tls.certManager: the cert-manager.io/v1 Certificate CRD is not installed;"
                  + " install cert-manager, or remove certManager to let the operator issue the"
                  + " certificates itself",
              true));
    }
    client
        .resource(CertManagerCertificate.build(cluster, spec.get()))
        .fieldManager(ClusterNames.FIELD_MANAGER)
        .forceConflicts()
        .serverSideApply();
    return Optional.empty();
  }

  /**
   * Why the Secret is not there yet, from the Certificate's {@code Ready} condition: the problem of
   * a cluster waiting for cert-manager.
   */
  static Problem pending(KubernetesClient client, PostgresCluster cluster) {
    String name = ClusterNames.tlsSecret(cluster);
    GenericKubernetesResource certificate =
        client
            .genericKubernetesResources(
                CertManagerCertificate.API_VERSION, CertManagerCertificate.KIND)
            .inNamespace(cluster.getMetadata().getNamespace())
            .withName(name)
            .get();
    return new Problem(
        "CertificatePending",
        "spec.tls.certManager: waiting for cert-manager to issue Certificate "
            + name
            + " into Secret "
            + name
            + readyMessage(certificate).map(m -> " (Ready: " + m + ")").orElse(""),
        true);
  }

  static Optional<String> readyMessage(GenericKubernetesResource certificate) {
    Object status =
        certificate == null ? null : certificate.getAdditionalProperties().get("status");
    List<?> conditions =
        status instanceof Map<?, ?> m && m.get("conditions") instanceof List<?> l ? l : List.of();
    return conditions.stream()
        .filter(c -> c instanceof Map<?, ?> map && "Ready".equals(map.get("type")))
        .map(c -> ((Map<?, ?>) c).get("reason") + ": " + ((Map<?, ?>) c).get("message"))
        .findFirst();
  }

  /**
   * TLS is off: the Certificate the operator made for it, if any, is deleted, so cert-manager stops
   * renewing a certificate nothing uses (before, it stayed once TLS was turned off).
   */
  static void removeWhenTlsIsOff(KubernetesClient client, PostgresCluster cluster) {
    if (ApiDiscovery.serves(
        client, CertManagerCertificate.API_VERSION, CertManagerCertificate.KIND)) {
      removeOwned(client, cluster);
    }
  }

  private static void removeOwned(KubernetesClient client, PostgresCluster cluster) {
    var resource =
        client
            .genericKubernetesResources(
                CertManagerCertificate.API_VERSION, CertManagerCertificate.KIND)
            .inNamespace(cluster.getMetadata().getNamespace())
            .withName(ClusterNames.tlsSecret(cluster));
    GenericKubernetesResource existing = resource.get();
    if (existing != null
        && existing.getMetadata().getOwnerReferences().stream()
            .anyMatch(o -> cluster.getMetadata().getUid().equals(o.getUid()))) {
      resource.delete();
    }
  }
}
