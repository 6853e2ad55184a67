package io.pgtrickle.operator.postgres.tls;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.pgtrickle.operator.api.CertManagerSpec;
import io.pgtrickle.operator.api.IssuerRef;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.postgres.ClusterNames;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The cert-manager {@code Certificate} {@code NAME-tls} ({@code cert-manager.io/v1}) of a cluster
 * with {@code spec.tls.certManager}, pure: Secret {@code NAME-tls} (which the pods serve), every
 * name of {@link ClusterTls#dnsNames}, a new key at each renewal, and the user's issuer. Fields as
 * in cert-manager's published CRD ({@code deploy/crds/cert-manager.io_certificates.yaml}, v1.21),
 * which CertManagerTlsIT installs on the test bed.
 */
public final class CertManagerCertificate {

  public static final String API_VERSION = "cert-manager.io/v1";
  public static final String KIND = "Certificate";

  private CertManagerCertificate() {}

  public static GenericKubernetesResource build(PostgresCluster cluster, CertManagerSpec spec) {
    IssuerRef issuer = spec.getIssuerRef();
    Map<String, Object> issuerRef = new LinkedHashMap<>();
    issuerRef.put("name", issuer.getName());
    issuerRef.put("kind", issuer.getKind() == null ? "Issuer" : issuer.getKind());
    issuerRef.put("group", issuer.getGroup() == null ? "cert-manager.io" : issuer.getGroup());
    Map<String, Object> certificate = new LinkedHashMap<>();
    certificate.put("secretName", ClusterNames.tlsSecret(cluster));
    certificate.put("secretTemplate", Map.of("labels", ClusterNames.labels(cluster, "tls")));
    certificate.put("dnsNames", ClusterTls.dnsNames(cluster));
    certificate.put("usages", List.of("server auth", "digital signature", "key encipherment"));
    certificate.put("privateKey", Map.of("rotationPolicy", "Always"));
    certificate.put("issuerRef", issuerRef);
    return new GenericKubernetesResourceBuilder()
        .withApiVersion(API_VERSION)
        .withKind(KIND)
        .withMetadata(TlsSecrets.metadata(cluster, ClusterNames.tlsSecret(cluster)))
        .withAdditionalProperties(Map.of("spec", certificate))
        .build();
  }
}
