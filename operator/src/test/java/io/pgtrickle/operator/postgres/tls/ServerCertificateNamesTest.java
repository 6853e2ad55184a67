package io.pgtrickle.operator.postgres.tls;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.operator.postgres.spec.Clusters;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ServerCertificateNamesTest {

  private static final Instant NOW = Instant.parse("2026-12-07T12:00:00Z");

  private static X509Certificate issued(List<String> names) {
    CertificateAuthority.Issued ca =
        CertificateAuthority.newCa("user CA", NOW, Duration.ofDays(3650));
    return CertificateAuthority.certificate(
        CertificateAuthority.issueServer(ca, names, NOW, Duration.ofDays(365)).certificatePem());
  }

  @Test
  void everyMemberOfTheClusterIsRequired() {
    assertThat(ServerCertificateNames.required(Clusters.basic(3)))
        .containsExactly("db-0.db-pods.ns.svc", "db-1.db-pods.ns.svc", "db-2.db-pods.ns.svc");
  }

  @Test
  void aCertificateNamingOnlyAnotherHostIsReportedWithTheNamesFoundAndMissing() {
    var cluster = Clusters.basic(2);
    var problem =
        ServerCertificateNames.problem(
            issued(List.of("example.com")),
            ServerCertificateNames.required(cluster),
            "spec.tls.certSecret",
            "wrongname");
    assertThat(problem).isPresent();
    assertThat(problem.get())
        .contains("Secret \"wrongname\"")
        .contains("does not name db-0.db-pods.ns.svc, db-1.db-pods.ns.svc")
        .contains("(its DNS names: example.com)")
        .contains("*.db-pods.ns.svc");
  }

  @Test
  void theOperatorsOwnCertificateNamesEveryMember() {
    var cluster = Clusters.basic(3);
    assertThat(
            ServerCertificateNames.problem(
                issued(ClusterTls.dnsNames(cluster)),
                ServerCertificateNames.required(cluster),
                "spec.tls.certSecret",
                "mine"))
        .isEmpty();
  }

  @Test
  void aWildcardOrExplicitNamesInAnyCaseCount() {
    var required = ServerCertificateNames.required(Clusters.basic(2));
    assertThat(ServerCertificateNames.missing(Set.of("*.DB-PODS.ns.svc"), required)).isEmpty();
    assertThat(
            ServerCertificateNames.missing(
                Set.of("DB-0.db-pods.NS.svc", "db-1.db-pods.ns.svc."), required))
        .isEmpty();
    assertThat(ServerCertificateNames.missing(Set.of("db-0.db-pods.ns.svc"), required))
        .containsExactly("db-1.db-pods.ns.svc");
  }

  @Test
  void aWildcardStandsForExactlyOneLabel() {
    assertThat(ServerCertificateNames.matches("a.b.db-pods.ns.svc", "*.db-pods.ns.svc")).isFalse();
    assertThat(ServerCertificateNames.matches("db-pods.ns.svc", "*.db-pods.ns.svc")).isFalse();
    assertThat(ServerCertificateNames.matches("*.db-pods.ns.svc", "db-0.db-pods.ns.svc")).isFalse();
    assertThat(ServerCertificateNames.matches("db-0.db-pods.ns.svc", "*.ns.svc")).isFalse();
  }
}
