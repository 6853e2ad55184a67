package io.pgtrickle.operator.postgres.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgtrickle.operator.api.TlsSpec;
import io.pgtrickle.operator.postgres.spec.Clusters;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class CertificateAuthorityTest {

  private static final Instant NOW = Instant.parse("2026-11-30T12:00:00Z");

  @Test
  void theServerCertificateIsSignedByTheCaAndNamesEveryService() throws Exception {
    var cluster = Clusters.basic(3);
    CertificateAuthority.Issued ca =
        CertificateAuthority.newCa("ns/db CA", NOW, Duration.ofDays(3650));
    List<String> names = ClusterTls.dnsNames(cluster);
    CertificateAuthority.Issued server =
        CertificateAuthority.issueServer(ca, names, NOW, ClusterTls.SERVER_VALIDITY);

    X509Certificate caCert = CertificateAuthority.certificate(ca.certificatePem());
    X509Certificate cert = CertificateAuthority.certificate(server.certificatePem());
    cert.verify(caCert.getPublicKey());
    assertThat(caCert.getBasicConstraints()).isEqualTo(0);
    assertThat(cert.getBasicConstraints()).isEqualTo(-1);
    assertThat(cert.getExtendedKeyUsage()).contains("1.3.6.1.5.5.7.3.1");
    assertThat(CertificateNames.of(cert))
        .contains(
            "db-primary.ns.svc",
            "db-primary.ns.svc.cluster.local",
            "db-primary",
            "db-replica.ns.svc",
            "db-pooler.ns.svc",
            "db-pods.ns.svc",
            "*.db-pods.ns.svc",
            "*.db-pods.ns.svc.cluster.local");
    assertThat(cert.getNotAfter().toInstant()).isEqualTo(NOW.plus(Duration.ofDays(365)));
    // The key matches the certificate: sign with one, verify with the other.
    var signature = java.security.Signature.getInstance("SHA256withECDSA");
    signature.initSign(CertificateAuthority.privateKey(server.privateKeyPem()));
    signature.update(new byte[] {1, 2, 3});
    byte[] signed = signature.sign();
    signature.initVerify(cert.getPublicKey());
    signature.update(new byte[] {1, 2, 3});
    assertThat(signature.verify(signed)).isTrue();
    assertThat(server.privateKeyPem()).startsWith("-----BEGIN PRIVATE KEY-----");
    assertThat(server.toString()).doesNotContain("PRIVATE");
  }

  @Test
  void aServerCertificateNeverOutlivesItsCa() {
    CertificateAuthority.Issued ca =
        CertificateAuthority.newCa("short CA", NOW, Duration.ofDays(30));
    var cert =
        CertificateAuthority.certificate(
            CertificateAuthority.issueServer(ca, List.of("a"), NOW, Duration.ofDays(365))
                .certificatePem());
    assertThat(cert.getNotAfter())
        .isEqualTo(CertificateAuthority.certificate(ca.certificatePem()).getNotAfter());
  }

  @Test
  void renewalIsDueInTheLastThirdOfTheLifeOrWhenANameIsMissing() {
    var cluster = Clusters.basic(1);
    List<String> names = ClusterTls.dnsNames(cluster);
    CertificateAuthority.Issued ca = CertificateAuthority.newCa("ca", NOW, Duration.ofDays(3650));
    X509Certificate cert =
        CertificateAuthority.certificate(
            CertificateAuthority.issueServer(ca, names, NOW, Duration.ofDays(365))
                .certificatePem());
    assertThat(ClusterTls.renewalDue(cert, names, NOW)).isFalse();
    assertThat(ClusterTls.renewalDue(cert, names, NOW.plus(Duration.ofDays(240)))).isFalse();
    assertThat(ClusterTls.renewalDue(cert, names, NOW.plus(Duration.ofDays(250)))).isTrue();
    assertThat(ClusterTls.renewalDue(cert, List.of("db-primary.other.svc"), NOW)).isTrue();
  }

  @Test
  void theServingSecretIsTheUsersOrTheIssuedOne() {
    var cluster = Clusters.basic(1);
    TlsSpec tls = new TlsSpec();
    tls.setEnabled(true);
    cluster.getSpec().setTls(tls);
    assertThat(ClusterTls.servingSecret(cluster)).isEqualTo("db-tls");
    tls.setCertSecret("postgres-tls");
    assertThat(ClusterTls.servingSecret(cluster)).isEqualTo("postgres-tls");
    assertThat(ClusterTls.memberHost(cluster, "db-0")).isEqualTo("db-0.db-pods.ns.svc");
  }

  @Test
  void aUserSecretWithoutTheCaIsRefusedSayingWhy() {
    var ca = CertificateAuthority.newCa("ca", NOW, Duration.ofDays(10));
    var server = CertificateAuthority.issueServer(ca, List.of("x"), NOW, Duration.ofDays(5));
    var secret =
        new io.fabric8.kubernetes.api.model.SecretBuilder()
            .withNewMetadata()
            .withName("postgres-tls")
            .endMetadata()
            .addToStringData("tls.crt", server.certificatePem())
            .addToStringData("tls.key", server.privateKeyPem())
            .build();
    assertThat(ClusterTls.problemWith(secret, "postgres-tls"))
        .hasValueSatisfying(
            m -> assertThat(m).contains("has no ca.crt").contains("spec.tls.certSecret"));
    secret.getStringData().put("ca.crt", ca.certificatePem());
    assertThat(ClusterTls.problemWith(secret, "postgres-tls")).isEmpty();
    secret.getStringData().put("ca.crt", "garbage");
    assertThat(ClusterTls.problemWith(secret, "postgres-tls")).isPresent();
  }

  @Test
  void garbageIsNotACertificate() {
    assertThatThrownBy(() -> CertificateAuthority.certificate("nothing"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void theReplicationClientCertificateNamesTheUserAndIsRenewedLikeTheServers() throws Exception {
    CertificateAuthority.Issued ca = CertificateAuthority.newCa("ca", NOW, Duration.ofDays(3650));
    CertificateAuthority.Issued client =
        CertificateAuthority.issueClient(ca, "replicator", NOW, Duration.ofDays(365));
    X509Certificate cert = CertificateAuthority.certificate(client.certificatePem());
    cert.verify(CertificateAuthority.certificate(ca.certificatePem()).getPublicKey());
    assertThat(cert.getSubjectX500Principal().getName()).isEqualTo("CN=replicator");
    assertThat(cert.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.2");
    assertThat(cert.getSubjectAlternativeNames()).isNull();

    var secret = TlsSecrets.replicationClient(Clusters.basic(1), client, ca.certificatePem());
    assertThat(secret.getMetadata().getName()).isEqualTo("db-replication-tls");
    assertThat(secret.getType()).isEqualTo("kubernetes.io/tls");
    assertThat(TlsCertificates.clientRenewalReason(secret, ca, "replicator", NOW)).isNull();
    assertThat(TlsCertificates.clientRenewalReason(null, ca, "replicator", NOW))
        .isEqualTo("none issued yet");
    assertThat(TlsCertificates.clientRenewalReason(secret, ca, "other", NOW))
        .isEqualTo("issued for another user");
    assertThat(
            TlsCertificates.clientRenewalReason(
                secret, ca, "replicator", NOW.plus(Duration.ofDays(250))))
        .isEqualTo("due for renewal");
    CertificateAuthority.Issued otherCa =
        CertificateAuthority.newCa("other", NOW, Duration.ofDays(3650));
    assertThat(TlsCertificates.clientRenewalReason(secret, otherCa, "replicator", NOW))
        .isEqualTo("issued by another CA");
  }
}
