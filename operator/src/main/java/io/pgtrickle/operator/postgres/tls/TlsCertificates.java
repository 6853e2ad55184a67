package io.pgtrickle.operator.postgres.tls;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.events.EventRecorder;
import io.pgtrickle.operator.postgres.ClusterNames;
import io.pgtrickle.operator.postgres.ClusterValidation;
import io.pgtrickle.operator.postgres.spec.ClusterSecrets;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes sure a TLS cluster has its certificates before its pods need them: with {@code
 * spec.tls.certSecret}, checks the user's Secret; with {@code spec.tls.certManager}, applies the
 * cert-manager Certificate and checks the Secret cert-manager writes; otherwise creates the
 * cluster's CA once ({@code NAME-tls-ca}) and issues, and renews when due, the server certificate
 * ({@code NAME-tls}) and the replication user's client certificate ({@code NAME-replication-tls},
 * see {@link ClusterTls#clientCertificates}). Either way it publishes the CA for clients ({@code
 * NAME-ca}). Secrets are read from the operator's informer cache ({@code secrets}); writes go to
 * the API server.
 */
public final class TlsCertificates {

  private static final Logger LOG = LoggerFactory.getLogger(TlsCertificates.class);

  private TlsCertificates() {}

  /**
   * Returns a problem for the status when the user's Secret is missing or unusable (a missing
   * Secret may appear later: it is looked for again), or empty when the serving Secret is ready.
   */
  public static Optional<ClusterValidation.Problem> ensure(
      KubernetesClient client,
      PostgresCluster cluster,
      Function<String, Secret> secrets,
      Instant now) {
    if (!ClusterTls.enabled(cluster)) {
      CertManagerCertificates.removeWhenTlsIsOff(client, cluster);
      return Optional.empty();
    }
    Optional<ClusterValidation.Problem> certManager =
        CertManagerCertificates.reconcile(client, cluster);
    if (certManager.isPresent()) {
      return certManager;
    }
    Optional<String> user = ClusterTls.userSecret(cluster);
    String caPem;
    if (user.isPresent()) {
      Secret secret = secrets.apply(user.get());
      if (secret == null && ClusterTls.certManager(cluster).isPresent()) {
        return Optional.of(CertManagerCertificates.pending(client, cluster));
      }
      if (secret == null) {
        return Optional.of(
            new ClusterValidation.Problem(
                "TLSSecretNotFound",
                "spec.tls.certSecret: Secret \""
                    + user.get()
                    + "\" does not exist; create it (type kubernetes.io/tls with tls.crt, tls.key"
                    + " and ca.crt) or remove certSecret to let the operator issue certificates",
                true));
      }
      Optional<String> problem =
          ClusterTls.problemWith(secret, user.get(), ClusterTls.userSecretField(cluster));
      if (problem.isPresent()) {
        return Optional.of(new ClusterValidation.Problem("TLSSecretInvalid", problem.get(), true));
      }
      Optional<String> names =
          ServerCertificateNames.problem(
              CertificateAuthority.certificate(ClusterTls.text(secret, ClusterTls.CERT)),
              ServerCertificateNames.required(cluster),
              ClusterTls.userSecretField(cluster),
              user.get());
      if (names.isPresent()) {
        return Optional.of(
            new ClusterValidation.Problem("TLSCertificateNameMismatch", names.get(), true));
      }
      caPem = ClusterTls.text(secret, ClusterTls.CA);
    } else {
      caPem = issued(client, cluster, secrets, now);
    }
    Secret published = secrets.apply(ClusterNames.caSecret(cluster));
    if (!Objects.equals(ClusterTls.text(published, ClusterTls.CA), caPem)) {
      apply(client, TlsSecrets.published(cluster, caPem));
    }
    return Optional.empty();
  }

  /** The operator's CA and server certificate, made or renewed as needed; returns the CA PEM. */
  private static String issued(
      KubernetesClient client,
      PostgresCluster cluster,
      Function<String, Secret> secrets,
      Instant now) {
    Secret caSecret = secrets.apply(ClusterNames.tlsCaSecret(cluster));
    CertificateAuthority.Issued ca;
    if (caSecret == null) {
      ca =
          CertificateAuthority.newCa(
              cluster.getMetadata().getNamespace() + "/" + cluster.getMetadata().getName() + " CA",
              now,
              ClusterTls.CA_VALIDITY);
      try {
        // Create, never overwrite: a CA another round made a moment ago stays.
        client.resource(TlsSecrets.ca(cluster, ca)).create();
      } catch (KubernetesClientException e) {
        if (e.getCode() != 409) {
          throw e;
        }
        caSecret =
            client
                .secrets()
                .inNamespace(cluster.getMetadata().getNamespace())
                .withName(ClusterNames.tlsCaSecret(cluster))
                .get();
        ca = fromSecret(caSecret);
      }
    } else {
      ca = fromSecret(caSecret);
    }
    Secret server = secrets.apply(ClusterNames.tlsSecret(cluster));
    List<String> names = ClusterTls.dnsNames(cluster);
    String reason = renewalReason(server, ca, names, now);
    if (reason != null) {
      CertificateAuthority.Issued issued =
          CertificateAuthority.issueServer(ca, names, now, ClusterTls.SERVER_VALIDITY);
      apply(client, TlsSecrets.server(cluster, issued, ca.certificatePem()));
      X509Certificate cert = CertificateAuthority.certificate(issued.certificatePem());
      LOG.info(
          "issued the server certificate of {}/{} ({}), valid until {}",
          cluster.getMetadata().getNamespace(),
          cluster.getMetadata().getName(),
          reason,
          cert.getNotAfter().toInstant());
      if (server != null) {
        EventRecorder.normal(
            client,
            cluster,
            "CertificateRenewed",
            "Server certificate renewed ("
                + reason
                + "), valid until "
                + cert.getNotAfter().toInstant()
                + "; members reload it without a restart");
      }
    }
    issueReplicationClient(client, cluster, secrets, ca, now);
    return ca.certificatePem();
  }

  /**
   * The replication user's client certificate ({@code NAME-replication-tls}), issued or renewed
   * when due like the server's: members read the files at each new replication connection, so a
   * renewal needs no restart.
   */
  private static void issueReplicationClient(
      KubernetesClient client,
      PostgresCluster cluster,
      Function<String, Secret> secrets,
      CertificateAuthority.Issued ca,
      Instant now) {
    Secret current = secrets.apply(ClusterNames.replicationTlsSecret(cluster));
    String reason = clientRenewalReason(current, ca, ClusterSecrets.REPLICATION_USER, now);
    if (reason == null) {
      return;
    }
    CertificateAuthority.Issued issued =
        CertificateAuthority.issueClient(
            ca, ClusterSecrets.REPLICATION_USER, now, ClusterTls.SERVER_VALIDITY);
    apply(client, TlsSecrets.replicationClient(cluster, issued, ca.certificatePem()));
    X509Certificate cert = CertificateAuthority.certificate(issued.certificatePem());
    LOG.info(
        "issued the replication client certificate of {}/{} ({}), valid until {}",
        cluster.getMetadata().getNamespace(),
        cluster.getMetadata().getName(),
        reason,
        cert.getNotAfter().toInstant());
    if (current != null) {
      EventRecorder.normal(
          client,
          cluster,
          "CertificateRenewed",
          "Replication client certificate renewed ("
              + reason
              + "), valid until "
              + cert.getNotAfter().toInstant());
    }
  }

  /** Why a client certificate for {@code user} must be (re)issued, or null when it is fine. */
  static String clientRenewalReason(
      Secret secret, CertificateAuthority.Issued ca, String user, Instant now) {
    String reason = renewalReason(secret, ca, List.of(), now);
    if (reason != null) {
      return reason;
    }
    X509Certificate cert =
        CertificateAuthority.certificate(ClusterTls.text(secret, ClusterTls.CERT));
    return ("CN=" + user).equals(cert.getSubjectX500Principal().getName())
        ? null
        : "issued for another user";
  }

  /** Why the server certificate must be (re)issued, or null when it is fine. */
  static String renewalReason(
      Secret server, CertificateAuthority.Issued ca, List<String> names, Instant now) {
    String pem = ClusterTls.text(server, ClusterTls.CERT);
    if (pem == null || ClusterTls.text(server, ClusterTls.KEY) == null) {
      return "none issued yet";
    }
    X509Certificate cert;
    try {
      cert = CertificateAuthority.certificate(pem);
    } catch (IllegalArgumentException e) {
      return "the stored certificate does not parse";
    }
    if (!Objects.equals(ClusterTls.text(server, ClusterTls.CA), ca.certificatePem())) {
      return "issued by another CA";
    }
    try {
      cert.verify(CertificateAuthority.certificate(ca.certificatePem()).getPublicKey());
    } catch (java.security.GeneralSecurityException e) {
      return "not signed by the cluster's CA";
    }
    return ClusterTls.renewalDue(cert, names, now) ? "due for renewal" : null;
  }

  private static CertificateAuthority.Issued fromSecret(Secret secret) {
    return new CertificateAuthority.Issued(
        ClusterTls.text(secret, ClusterTls.CERT), ClusterTls.text(secret, ClusterTls.KEY));
  }

  private static void apply(KubernetesClient client, Secret secret) {
    client
        .resource(secret)
        .fieldManager(ClusterNames.FIELD_MANAGER)
        .forceConflicts()
        .serverSideApply();
  }
}
