package io.pgtrickle.operator.postgres.tls;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.postgres.ClusterNames;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The Secrets of a cluster's TLS, pure builders: CA, server certificate, the replication user's
 * client certificate, published CA.
 */
public final class TlsSecrets {

  private TlsSecrets() {}

  /** {@code NAME-tls-ca}: the operator's CA, certificate and key; only the operator reads it. */
  public static Secret ca(PostgresCluster cluster, CertificateAuthority.Issued ca) {
    return tls(
        cluster, ClusterNames.tlsCaSecret(cluster), ca.certificatePem(), ca.privateKeyPem(), null);
  }

  /** {@code NAME-tls}: the members' certificate and key, and the CA that signed it. */
  public static Secret server(
      PostgresCluster cluster, CertificateAuthority.Issued server, String caPem) {
    return tls(
        cluster,
        ClusterNames.tlsSecret(cluster),
        server.certificatePem(),
        server.privateKeyPem(),
        caPem);
  }

  /** {@code NAME-replication-tls}: the replication user's client certificate, key and CA. */
  public static Secret replicationClient(
      PostgresCluster cluster, CertificateAuthority.Issued client, String caPem) {
    return tls(
        cluster,
        ClusterNames.replicationTlsSecret(cluster),
        client.certificatePem(),
        client.privateKeyPem(),
        caPem);
  }

  /** {@code NAME-ca}: the CA certificate alone, for clients ({@code sslrootcert}). */
  public static Secret published(PostgresCluster cluster, String caPem) {
    return new SecretBuilder()
        .withMetadata(metadata(cluster, ClusterNames.caSecret(cluster)))
        .withType("Opaque")
        .withData(Map.of(ClusterTls.CA, base64(caPem)))
        .build();
  }

  private static Secret tls(
      PostgresCluster cluster, String name, String cert, String key, String caPem) {
    Map<String, String> data = new LinkedHashMap<>();
    data.put(ClusterTls.CERT, base64(cert));
    data.put(ClusterTls.KEY, base64(key));
    if (caPem != null) {
      data.put(ClusterTls.CA, base64(caPem));
    }
    return new SecretBuilder()
        .withMetadata(metadata(cluster, name))
        .withType("kubernetes.io/tls")
        .withData(data)
        .build();
  }

  static io.fabric8.kubernetes.api.model.ObjectMeta metadata(PostgresCluster cluster, String name) {
    return new ObjectMetaBuilder()
        .withName(name)
        .withNamespace(cluster.getMetadata().getNamespace())
        .withLabels(ClusterNames.labels(cluster, "tls"))
        .withOwnerReferences(
            new OwnerReferenceBuilder()
                .withApiVersion(cluster.getApiVersion())
                .withKind(cluster.getKind())
                .withName(cluster.getMetadata().getName())
                .withUid(cluster.getMetadata().getUid())
                .withController(true)
                .withBlockOwnerDeletion(true)
                .build())
        .build();
  }

  private static String base64(String text) {
    return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
  }
}
