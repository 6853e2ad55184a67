package io.pgtrickle.operator.postgres.tls;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.api.TlsSpec;
import io.pgtrickle.operator.postgres.patroni.PatroniClient;
import io.pgtrickle.operator.postgres.rollout.Member;
import io.pgtrickle.operator.postgres.spec.ClusterStatefulSet;
import io.pgtrickle.operator.postgres.spec.Clusters;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * What each member serves follows from its pod (the template it started from), not from the spec:
 * while TLS is turned on or off, the members still on the old template keep the old scheme.
 */
class ServedTlsTest {

  private static final CertificateAuthority.Issued CA =
      CertificateAuthority.newCa("ns/db CA", Instant.now().minusSeconds(60), Duration.ofDays(10));
  private static final CertificateAuthority.Issued OTHER_CA =
      CertificateAuthority.newCa("other CA", Instant.now().minusSeconds(60), Duration.ofDays(10));

  @Test
  void aPodOfTheTlsTemplateMountsTheServingSecretAndOneWithoutTlsNone() {
    assertThat(ClusterTls.mountedSecret(pod(tls(true), "db-0"))).isEqualTo("db-tls");
    assertThat(ClusterTls.mountedSecret(pod(Clusters.basic(3), "db-0"))).isNull();
    assertThat(Member.of(pod(tls(true), "db-1")).tlsSecret()).isEqualTo("db-tls");
    assertThat(Member.of(pod(Clusters.basic(3), "db-1")).tlsSecret()).isNull();
  }

  /** TLS turned on: the old primary still serves HTTP, the restarted replicas HTTPS. */
  @Test
  void turningTlsOnReachesMembersStillOnTheOldTemplateOverHttp() {
    PostgresCluster on = tls(true);
    Function<String, Secret> secrets = secrets(Map.of("db-tls", CA.certificatePem()));
    Member oldPrimary = Member.of(pod(Clusters.basic(3), "db-0"));
    Member restarted = Member.of(pod(on, "db-2"));

    assertThat(ServedTls.patroni(on, oldPrimary, secrets)).isEqualTo(PatroniClient.Scheme.HTTP);
    PatroniClient.Scheme https = ServedTls.patroni(on, restarted, secrets);
    assertThat(https.tls()).isSameAs(ClusterTrust.context(CA.certificatePem()));
    assertThat(https.refusal()).isNull();

    PatroniClient.Login login =
        ServedTls.patroniLogin(
            new PatroniClient.Login("patroni", "pw", null),
            on,
            List.of(oldPrimary, restarted),
            secrets);
    assertThat(login.scheme("db-0").tls()).isNull();
    assertThat(login.scheme("db-2").tls()).isNotNull();
    assertThat(login.scheme("db-9").refusal())
        .as("a pod not observed is not called over plain HTTP while TLS is on")
        .contains("db-9");
    assertThat(
            ServedTls.patroniLogin(
                    new PatroniClient.Login("patroni", "pw", null),
                    Clusters.basic(3),
                    List.of(),
                    secrets)
                .scheme("db-9"))
        .isEqualTo(PatroniClient.Scheme.HTTP);
  }

  /**
   * TLS turned off: members still on the TLS template serve HTTPS, verified against the CA of the
   * Secret they mount (still there: the operator deletes no certificate Secret), or of {@code
   * NAME-ca}; with neither left, unverified TLS (the spec asks for plain HTTP, which is no better).
   */
  @Test
  void turningTlsOffReachesMembersStillOnTheTlsTemplateOverHttps() {
    PostgresCluster off = Clusters.basic(3);
    Member oldPrimary = Member.of(pod(tls(true), "db-0"));
    Member restarted = Member.of(pod(off, "db-2"));

    assertThat(
            ServedTls.patroni(off, oldPrimary, secrets(Map.of("db-tls", CA.certificatePem())))
                .tls())
        .isSameAs(ClusterTrust.context(CA.certificatePem()));
    assertThat(
            ServedTls.patroni(off, oldPrimary, secrets(Map.of("db-ca", CA.certificatePem()))).tls())
        .isSameAs(ClusterTrust.context(CA.certificatePem()));
    PatroniClient.Scheme unverified = ServedTls.patroni(off, oldPrimary, secrets(Map.of()));
    assertThat(unverified.tls()).isSameAs(ClusterTrust.unverified());
    assertThat(unverified.refusal()).isNull();
    assertThat(ServedTls.patroni(off, restarted, secrets(Map.of("db-tls", CA.certificatePem()))))
        .isEqualTo(PatroniClient.Scheme.HTTP);
  }

  /** With TLS on, a member serving TLS is never reached unverified: refused, saying why. */
  @Test
  void withTlsOnAMemberWithNoCaToVerifyItByIsRefused() {
    PostgresCluster on = tls(true);
    PatroniClient.Scheme scheme =
        ServedTls.patroni(on, Member.of(pod(on, "db-1")), secrets(Map.of()));
    assertThat(scheme.tls()).isNull();
    assertThat(scheme.refusal()).contains("db-1").contains("\"db-tls\"").contains("ca.crt");
  }

  /** The CA of the Secret a member mounts comes first: it signed what that member serves. */
  @Test
  void theMountedSecretsCaComesBeforeTheSpecs() {
    PostgresCluster on = tls(true);
    on.getSpec().getTls().setCertSecret("new-tls");
    Function<String, Secret> secrets =
        secrets(Map.of("db-tls", OTHER_CA.certificatePem(), "new-tls", CA.certificatePem()));
    assertThat(ServedTls.ca(on, "db-tls", secrets)).isEqualTo(OTHER_CA.certificatePem());
    assertThat(ServedTls.ca(on, "gone-tls", secrets)).isEqualTo(CA.certificatePem());
  }

  private static PostgresCluster tls(boolean enabled) {
    PostgresCluster cluster = Clusters.basic(3);
    TlsSpec tls = new TlsSpec();
    tls.setEnabled(enabled);
    cluster.getSpec().setTls(tls);
    return cluster;
  }

  /** A pod of {@code cluster}'s StatefulSet template, as the StatefulSet controller makes it. */
  private static Pod pod(PostgresCluster cluster, String name) {
    var template = ClusterStatefulSet.build(cluster, "postgres:16").getSpec().getTemplate();
    return new PodBuilder()
        .withMetadata(
            new ObjectMetaBuilder(template.getMetadata())
                .withName(name)
                .withNamespace("ns")
                .build())
        .withSpec(template.getSpec())
        .withStatus(new PodStatusBuilder().withPodIP("10.0.0.1").build())
        .build();
  }

  private static Function<String, Secret> secrets(Map<String, String> caByName) {
    return name ->
        caByName.containsKey(name)
            ? new SecretBuilder()
                .withNewMetadata()
                .withName(name)
                .endMetadata()
                .addToStringData(ClusterTls.CA, caByName.get(name))
                .build()
            : null;
  }
}
