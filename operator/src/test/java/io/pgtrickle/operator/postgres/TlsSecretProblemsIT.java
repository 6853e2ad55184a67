package io.pgtrickle.operator.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.pgtrickle.operator.api.ClusterPhase;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.postgres.tls.CertificateAuthority;
import io.pgtrickle.operator.testbed.OperatorRunner;
import io.pgtrickle.operator.tls.TlsProbe;
import io.pgtrickle.testbed.TestNamespace;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A user's {@code spec.tls.certSecret} that the members could not be verified with is reported in
 * the status instead of a Running cluster whose verify-full connections all fail.
 */
class TlsSecretProblemsIT {

  @RegisterExtension static final TestNamespace NAMESPACE = new TestNamespace();
  private static final Duration CONVERGE = Duration.ofSeconds(60);

  private final ClusterFixtures fixtures = new ClusterFixtures(NAMESPACE);
  private OperatorRunner operator;

  @BeforeEach
  void startOperator() {
    operator = OperatorRunner.start(NAMESPACE.testBed(), NAMESPACE.name());
  }

  @AfterEach
  void stopOperator() {
    operator.close();
  }

  @Test
  void aCertificateThatDoesNotNameTheMembersIsReported() {
    Instant now = Instant.now();
    CertificateAuthority.Issued ca =
        CertificateAuthority.newCa("user CA", now, Duration.ofDays(30));
    CertificateAuthority.Issued server =
        CertificateAuthority.issueServer(ca, List.of("example.com"), now, Duration.ofDays(30));
    NAMESPACE
        .client()
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName("wrongname")
                .withNamespace(NAMESPACE.name())
                .endMetadata()
                .withType("kubernetes.io/tls")
                .addToData("tls.crt", TlsProbe.b64(server.certificatePem()))
                .addToData("tls.key", TlsProbe.b64(server.privateKeyPem()))
                .addToData("ca.crt", TlsProbe.b64(ca.certificatePem()))
                .build())
        .create();
    fixtures.apply(
        "{version: 16, replicas: 1, storage: {size: 1Gi},"
            + " tls: {enabled: true, certSecret: wrongname}}",
        "dc2");
    await()
        .atMost(CONVERGE)
        .untilAsserted(
            () -> {
              PostgresCluster cluster = fixtures.get("dc2");
              assertThat(cluster.getStatus()).isNotNull();
              assertThat(cluster.getStatus().getPhase()).isEqualTo(ClusterPhase.Failed);
              assertThat(cluster.getStatus().getPhaseReason())
                  .isEqualTo("TLSCertificateNameMismatch");
              assertThat(cluster.getStatus().getMessage())
                  .contains("dc2-0.dc2-pods." + NAMESPACE.name() + ".svc")
                  .contains("example.com");
            });
  }
}
