package io.pgtrickle.operator.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.pgtrickle.operator.postgres.tls.CertManagerCertificate;
import io.pgtrickle.operator.postgres.tls.CertificateAuthority;
import io.pgtrickle.operator.testbed.Edits;
import io.pgtrickle.operator.testbed.HaCluster;
import io.pgtrickle.testbed.TestNamespace;
import java.io.InputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code tls.certManager} with real Patroni and PostgreSQL (issue #17 section 1: "If cert-manager
 * is installed, a documented option makes a cert-manager Certificate instead"). cert-manager's
 * published Certificate CRD (v1.21.1) is installed on the test bed, so the API server checks the
 * operator's Certificate against cert-manager's schema; cert-manager's controller does not run
 * here, so this test plays its part: it signs what the Certificate asks for with an issuer CA of
 * its own and writes the {@code kubernetes.io/tls} Secret, as cert-manager's CA issuer does. The
 * cluster then serves that certificate, clients verify it by the primary Service's name against the
 * issuer's CA (published in {@code NAME-ca}), and a renewal (a new Secret content, as cert-manager
 * writes before expiry) is served without restarting the primary. The same path serves a user's
 * {@code tls.certSecret}.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CertManagerTlsIT {

  @RegisterExtension static final TestNamespace NAMESPACE = new TestNamespace();
  private static final String NAME = "issued";
  private static final String CRD = "certificates.cert-manager.io";

  private static CertificateAuthority.Issued issuerCa;
  private static ScheduledExecutorService certManager;
  private static HaCluster cluster;
  private static TlsProbe tls;

  @BeforeAll
  static void start() throws Exception {
    try (InputStream in =
        CertManagerTlsIT.class.getResourceAsStream("/crds/cert-manager.io_certificates.yaml")) {
      client()
          .resource(Serialization.unmarshal(in, CustomResourceDefinition.class))
          .forceConflicts()
          .serverSideApply();
    }
    await("cert-manager's CRD established")
        .atMost(Duration.ofSeconds(60))
        .until(
            () ->
                client()
                        .apiextensions()
                        .v1()
                        .customResourceDefinitions()
                        .withName(CRD)
                        .get()
                        .getStatus()
                    != null);
    issuerCa = CertificateAuthority.newCa("test issuer CA", Instant.now(), Duration.ofDays(30));
    certManager = Executors.newSingleThreadScheduledExecutor();
    certManager.scheduleWithFixedDelay(
        CertManagerTlsIT::issueAsCertManagerWould, 1, 1, TimeUnit.SECONDS);
    // The operator's discovery of cert-manager's CRD is at most a minute old.
    cluster =
        HaCluster.startWithSpec(
            NAMESPACE.testBed(),
            NAMESPACE.name(),
            NAME,
            "  version: "
                + HaCluster.testedMajor()
                + "\n  replicas: 2\n  storage:\n    size: 1Gi\n  tls:\n    enabled: true\n"
                + "    certManager:\n      issuerRef:\n        name: test-ca\n",
            Duration.ofSeconds(300));
    tls = new TlsProbe(NAMESPACE, cluster);
  }

  @AfterAll
  static void stop() throws Exception {
    if (certManager != null) {
      certManager.shutdownNow();
    }
    if (cluster != null) {
      cluster.close();
    }
    if (tls != null) {
      tls.close();
    }
    client().apiextensions().v1().customResourceDefinitions().withName(CRD).delete();
  }

  @Test
  @Order(1)
  void theCertificateAsksTheIssuerForEveryName() {
    GenericKubernetesResource certificate = certificate();
    @SuppressWarnings("unchecked")
    Map<String, Object> spec =
        (Map<String, Object>) certificate.getAdditionalProperties().get("spec");
    assertThat(spec).containsEntry("secretName", NAME + "-tls");
    assertThat(spec.get("issuerRef"))
        .isEqualTo(Map.of("name", "test-ca", "kind", "Issuer", "group", "cert-manager.io"));
    @SuppressWarnings("unchecked")
    List<String> dnsNames = (List<String>) spec.get("dnsNames");
    assertThat(dnsNames)
        .contains(
            NAME + "-primary." + NAMESPACE.name() + ".svc",
            "*." + NAME + "-pods." + NAMESPACE.name() + ".svc");
    assertThat(certificate.getMetadata().getOwnerReferences().get(0).getKind())
        .isEqualTo("PostgresCluster");
    assertThat(client().secrets().inNamespace(NAMESPACE.name()).withName(NAME + "-tls-ca").get())
        .as("the operator's own CA is not made")
        .isNull();
  }

  @Test
  @Order(2)
  void clientsVerifyThePrimaryAgainstTheIssuersCa() {
    assertThat(tls.secretText(NAME + "-ca", "ca.crt")).isEqualTo(issuerCa.certificatePem());
    assertThat(tls.primary("select ssl from pg_stat_ssl where pid = pg_backend_pid()"))
        .isEqualTo("t");
    assertThat(tls.servedSerial())
        .isEqualTo(TlsProbe.serial(tls.secretText(NAME + "-tls", "tls.crt")));
    await()
        .atMost(Duration.ofSeconds(60))
        .untilAsserted(
            () ->
                assertThat(
                        tls.primary(
                            "select count(*) from pg_stat_replication r join pg_stat_ssl s"
                                + " using (pid) where r.state = 'streaming' and s.ssl"))
                    .isEqualTo("1"));
  }

  @Test
  @Order(3)
  void aRenewalByCertManagerIsServedWithoutRestartingThePrimary() {
    String started = tls.primary("select pg_postmaster_start_time()");
    String before = TlsProbe.serial(tls.secretText(NAME + "-tls", "tls.crt"));
    CertificateAuthority.Issued renewed = sign();
    tls.replaceTls(NAME + "-tls", renewed, issuerCa.certificatePem());
    await()
        .atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofSeconds(2))
        .ignoreExceptions()
        .untilAsserted(
            () -> {
              assertThat(tls.servedSerial())
                  .isEqualTo(TlsProbe.serial(renewed.certificatePem()))
                  .isNotEqualTo(before);
              assertThat(tls.primary("select 1")).isEqualTo("1");
            });
    assertThat(tls.primary("select pg_postmaster_start_time()")).isEqualTo(started);
  }

  /** TLS turned off: the operator's Certificate goes, so cert-manager stops renewing it. */
  @Test
  @Order(4)
  void turningTlsOffDeletesTheCertificate() {
    Edits.edit(
        client()
            .resources(io.pgtrickle.operator.api.PostgresCluster.class)
            .inNamespace(NAMESPACE.name())
            .withName(NAME),
        c -> {
          c.getSpec().setTls(null);
          return c;
        });
    await("the Certificate deleted")
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofSeconds(1))
        .until(
            () ->
                client()
                        .genericKubernetesResources(
                            CertManagerCertificate.API_VERSION, CertManagerCertificate.KIND)
                        .inNamespace(NAMESPACE.name())
                        .withName(NAME + "-tls")
                        .get()
                    == null);
  }

  /** cert-manager's part: a Secret for the Certificate once it exists. */
  private static void issueAsCertManagerWould() {
    try {
      var secrets = client().secrets().inNamespace(NAMESPACE.name());
      if (certificateOrNull() == null || secrets.withName(NAME + "-tls").get() != null) {
        return;
      }
      CertificateAuthority.Issued server = sign();
      secrets
          .resource(
              new SecretBuilder()
                  .withNewMetadata()
                  .withName(NAME + "-tls")
                  .endMetadata()
                  .withType("kubernetes.io/tls")
                  .addToData("tls.crt", TlsProbe.b64(server.certificatePem()))
                  .addToData("tls.key", TlsProbe.b64(server.privateKeyPem()))
                  .addToData("ca.crt", TlsProbe.b64(issuerCa.certificatePem()))
                  .build())
          .create();
    } catch (RuntimeException e) {
      // tried again in a second
    }
  }

  /** A certificate for the names the Certificate asks for, signed by the issuer's CA. */
  @SuppressWarnings("unchecked")
  private static CertificateAuthority.Issued sign() {
    Map<String, Object> spec =
        (Map<String, Object>) certificate().getAdditionalProperties().get("spec");
    return CertificateAuthority.issueServer(
        issuerCa, (List<String>) spec.get("dnsNames"), Instant.now(), Duration.ofDays(90));
  }

  private static GenericKubernetesResource certificate() {
    GenericKubernetesResource c = certificateOrNull();
    assertThat(c).as("Certificate " + NAME + "-tls").isNotNull();
    return c;
  }

  private static GenericKubernetesResource certificateOrNull() {
    return client()
        .genericKubernetesResources(CertManagerCertificate.API_VERSION, CertManagerCertificate.KIND)
        .inNamespace(NAMESPACE.name())
        .withName(NAME + "-tls")
        .get();
  }

  private static KubernetesClient client() {
    return NAMESPACE.client();
  }
}
