package io.pgtrickle.operator.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgtrickle.operator.postgres.tls.CertificateAuthority;
import io.pgtrickle.operator.testbed.HaCluster;
import io.pgtrickle.operator.testbed.Psql;
import io.pgtrickle.testbed.TestNamespace;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code tls: {enabled: true}} with real Patroni and PostgreSQL (issue #17 section 1): the operator
 * issues the certificates, clients verify the server by the primary Service's name, remote clients
 * without TLS are refused, replicas stream over TLS, a renewed certificate is served after a reload
 * without restarting the primary, and a failover works with TLS on. mTLS (seed 001): replicas
 * authenticate with the replication user's client certificate (and password); the password alone is
 * refused, and a renewed client certificate is used after the failover.
 *
 * <p>"Through the primary Service" on the test bed: psql gets {@code host=NAME-primary.NS.svc} (the
 * name the certificate must carry) and {@code hostaddr=} the pod the Service selects (see
 * testbed/README.md).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TlsIT {

  @RegisterExtension static final TestNamespace NAMESPACE = new TestNamespace();
  private static final String NAME = "secure";
  private static HaCluster cluster;
  private static TlsProbe tls;

  @BeforeAll
  static void start() throws Exception {
    cluster =
        HaCluster.startWithSpec(
            NAMESPACE.testBed(),
            NAMESPACE.name(),
            NAME,
            "  version: "
                + HaCluster.testedMajor()
                + "\n  replicas: 3\n  storage:\n    size: 1Gi\n  tls:\n    enabled: true\n",
            Duration.ofSeconds(240));
    tls = new TlsProbe(NAMESPACE, cluster);
  }

  @AfterAll
  static void stop() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
    if (tls != null) {
      tls.close();
    }
  }

  @Test
  @Order(1)
  void clientsVerifyThePrimaryByItsServiceName() {
    Psql.Result result =
        Psql.run(
            tls.primaryConninfo("verify-full"),
            cluster.password(),
            "select ssl, version from pg_stat_ssl where pid = pg_backend_pid()");
    assertThat(result.ok()).as(result.output()).isTrue();
    assertThat(result.output()).startsWith("t|TLSv1.");

    // A name the certificate does not carry fails verification.
    Psql.Result wrongName =
        Psql.run(
            "host=elsewhere.example hostaddr="
                + tls.primaryService()
                + " user=postgres dbname=postgres sslmode=verify-full sslrootcert="
                + tls.caFile(),
            cluster.password(),
            "select 1");
    assertThat(wrongName.ok()).isFalse();
    assertThat(wrongName.output()).contains("does not match host name");
  }

  @Test
  @Order(2)
  void remoteClientsWithoutTlsAreRefused() {
    Psql.Result result = Psql.run(tls.primaryConninfo("disable"), cluster.password(), "select 1");
    assertThat(result.ok()).isFalse();
    assertThat(result.output()).contains("no pg_hba.conf entry").contains("no encryption");
  }

  @Test
  @Order(3)
  void replicasStreamOverTls() {
    await()
        .atMost(Duration.ofSeconds(60))
        .untilAsserted(
            () ->
                assertThat(
                        tls.primary(
                            "select count(*) from pg_stat_replication r join pg_stat_ssl s"
                                + " using (pid) where r.state = 'streaming' and s.ssl"))
                    .isEqualTo("2"));
  }

  /**
   * mTLS with the operator's CA: each replica's walsender connection presents the replication
   * user's client certificate ({@code NAME-replication-tls}); the password alone is refused.
   */
  @Test
  @Order(4)
  void replicationNeedsTheClientCertificateAsWellAsThePassword() throws Exception {
    await()
        .atMost(Duration.ofSeconds(60))
        .untilAsserted(() -> assertThat(replicasWithClientCertificate()).isEqualTo("2"));
    String password = tls.secretText(NAME + "-replication", "password");
    Psql.Result withoutCertificate =
        Psql.run(tls.replicationConninfo(null), password, "IDENTIFY_SYSTEM");
    assertThat(withoutCertificate.ok()).as(withoutCertificate.output()).isFalse();
    assertThat(withoutCertificate.output()).contains("certificate");
    try (TlsProbe.ClientFiles files =
        tls.clientFiles(
            tls.secretText(NAME + "-replication-tls", "tls.crt"),
            tls.secretText(NAME + "-replication-tls", "tls.key"))) {
      Psql.Result withCertificate =
          Psql.run(tls.replicationConninfo(files), password, "IDENTIFY_SYSTEM");
      assertThat(withCertificate.ok()).as(withCertificate.output()).isTrue();
      // The certificate alone is not enough either.
      Psql.Result wrongPassword =
          Psql.run(tls.replicationConninfo(files), "not-the-password", "IDENTIFY_SYSTEM");
      assertThat(wrongPassword.ok()).as(wrongPassword.output()).isFalse();
    }
  }

  @Test
  @Order(5)
  void aRenewedCertificateIsServedWithoutRestartingThePrimary() throws Exception {
    String started = tls.primary("select pg_postmaster_start_time()");
    String before = TlsProbe.serial(tls.secretText(NAME + "-tls", "tls.crt"));
    // A certificate near its end, signed by the cluster's CA, as if a year had passed.
    CertificateAuthority.Issued ca = tls.clusterCa();
    CertificateAuthority.Issued old = tls.serveOneNearItsEnd();
    // The replication client certificate too: renewed by the operator, used by the replicas'
    // next connections (after the failover below).
    String clientBefore = TlsProbe.serial(tls.secretText(NAME + "-replication-tls", "tls.crt"));
    CertificateAuthority.Issued oldClient =
        CertificateAuthority.issueClient(
            ca, "replicator", Instant.now().minus(Duration.ofDays(360)), Duration.ofDays(365));
    tls.replaceTls(NAME + "-replication-tls", oldClient, ca.certificatePem());
    // The operator renews it (the old one has 5 of 365 days left), the pods' files follow, and the
    // operator reloads every member.
    await()
        .atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofSeconds(2))
        // A probe of a loaded machine may call the primary not ready for a moment (no address).
        .ignoreExceptions()
        .untilAsserted(
            () -> {
              String now = tls.renewedSerial(before, old);
              Psql.Result served =
                  Psql.run(
                      tls.primaryConninfo("verify-full"),
                      cluster.password(),
                      "select ssl from pg_stat_ssl where pid = pg_backend_pid()");
              assertThat(served.ok()).as(served.output()).isTrue();
              assertThat(tls.servedSerial()).isEqualTo(now);
            });
    await()
        .atMost(Duration.ofSeconds(60))
        .untilAsserted(
            () ->
                assertThat(TlsProbe.serial(tls.secretText(NAME + "-replication-tls", "tls.crt")))
                    .isNotEqualTo(clientBefore)
                    .isNotEqualTo(TlsProbe.serial(oldClient.certificatePem())));
    assertThat(tls.primary("select pg_postmaster_start_time()")).isEqualTo(started);
    assertThat(cluster.events(java.util.Set.of("CertificateRenewed"))).isNotEmpty();
  }

  @Test
  @Order(6)
  void failoverWorksWithTlsOn() {
    cluster.crashPrimaryUntilFailover();
    await()
        .atMost(HaCluster.OBJECTIVE)
        .pollInterval(Duration.ofMillis(500))
        .until(
            () ->
                Psql.run(
                        tls.primaryConninfo("verify-full"),
                        cluster.password(),
                        "create table if not exists after_failover (id int)")
                    .ok());
    cluster.awaitRunning(Duration.ofSeconds(180));
    try {
      await()
          .atMost(Duration.ofSeconds(90))
          .untilAsserted(() -> assertThat(replicasWithClientCertificate()).isEqualTo("2"));
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      StringBuilder logs = new StringBuilder();
      for (String pod : java.util.List.of(NAME + "-0", NAME + "-1", NAME + "-2")) {
        logs.append("\n--- ").append(pod).append(" ---\n").append(cluster.pods().logTail(pod, 40));
      }
      throw new AssertionError(
          "a replica does not stream over TLS after the failover; replication: "
              + tls.primary("select application_name, state, client_addr from pg_stat_replication")
              + logs,
          e);
    }
  }

  /** Replicas streaming over TLS with the replication user's client certificate. */
  private static String replicasWithClientCertificate() {
    return tls.primary(
        "select count(*) from pg_stat_replication r join pg_stat_ssl s using (pid)"
            + " where r.state = 'streaming' and s.ssl and s.client_dn like '%CN=replicator'");
  }
}
