package io.pgtrickle.operator.backup;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.backup.spec.PgBackRestServer;
import io.pgtrickle.operator.postgres.tls.CertificateAuthority;
import java.time.Duration;
import java.time.Instant;
import java.util.function.Function;

/**
 * Creates, once, the Secret of the pgBackRest TLS servers of a cluster with {@code
 * spec.backup.backupFromReplica} ({@link PgBackRestServer}): a CA of its own and one certificate
 * (client name {@code pgbackrest}, every member's host name) signed by it; the CA's key is
 * discarded, so nothing else can be signed with it. Never overwritten: pods that mount it keep
 * matching files. Valid for ten years and not renewed (delete the Secret to have a new one made;
 * the members pick it up when they restart).
 */
public final class PgBackRestCertificates {

  static final Duration VALIDITY = Duration.ofDays(3650);

  private PgBackRestCertificates() {}

  /**
   * Makes sure {@code NAME-pgbackrest-tls} exists before the pods that mount it are made ({@code
   * secrets}: the operator's cache; missing there, the API server is asked before a new one is
   * made).
   */
  public static void ensure(
      KubernetesClient client,
      PostgresCluster cluster,
      Function<String, Secret> secrets,
      Instant now) {
    if (!PgBackRestServer.enabled(cluster)) {
      return;
    }
    String name = PgBackRestServer.secretName(cluster);
    if (secrets.apply(name) != null
        || client.secrets().inNamespace(cluster.getMetadata().getNamespace()).withName(name).get()
            != null) {
      return;
    }
    CertificateAuthority.Issued ca =
        CertificateAuthority.newCa(
            cluster.getMetadata().getNamespace()
                + "/"
                + cluster.getMetadata().getName()
                + " pgBackRest CA",
            now,
            VALIDITY);
    CertificateAuthority.Issued issued =
        CertificateAuthority.issueServer(ca, PgBackRestServer.dnsNames(cluster), now, VALIDITY);
    try {
      client.resource(PgBackRestServer.secret(cluster, ca.certificatePem(), issued)).create();
    } catch (KubernetesClientException e) {
      if (e.getCode() != 409) {
        throw e;
      }
    }
  }
}
