package io.pgtrickle.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.storage.StorageClassBuilder;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.backup.ContinuousArchiving;
import io.pgtrickle.operator.postgres.tls.CertificateAuthority;
import io.pgtrickle.operator.postgres.tls.ClusterTls;
import io.pgtrickle.operator.status.Conditions;
import io.pgtrickle.operator.testbed.HaCluster;
import io.pgtrickle.operator.testbed.Psql;
import io.pgtrickle.operator.tls.TlsProbe;
import io.pgtrickle.testbed.FailureDiagnostics;
import io.pgtrickle.testbed.TestNamespace;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The seed's "Production HA Cluster" example (seed 003, {@code
 * seed-examples/003-l108-postgrescluster-production-db.yaml}) applied as written, in {@code
 * postgres.example.com/v1alpha1}, on the test bed with real Patroni, PostgreSQL 16 and PgBouncer
 * (issue #17: "Done when the seed's Production HA Cluster example ... runs on the test bed").
 *
 * <p>First what its user has to create: the {@code postgres-tls} Secret ({@code kubernetes.io/tls},
 * signed by a CA of the test's for every name of the cluster's Services, as cert-manager would
 * write it) and the {@code aws-credentials} Secret (fake keys, in the keys operator/README.md
 * documents) and the StorageClass {@code fast-ssd} (the operator refuses a class that does not
 * exist: phase Failed, reason StorageClassNotFound). The test bed's volume provisioner plays the
 * class's driver (a pre-bound volume: the 100Gi is only a number in the claim and the volume, the
 * data lives in a directory of the test bed's tmpfs); {@code resources} fit the test bed's fake
 * 32-core, 256Gi nodes.
 *
 * <p>The backup destination is AWS S3 itself (no {@code endpoint}), which this machine cannot
 * reach: archiving fails, and the test checks it fails without blocking writes.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ProductionExampleIT {

  @RegisterExtension static final TestNamespace NAMESPACE = new TestNamespace();

  /**
   * A failure carries every pod's state, Events and logs (PgBouncer's, Patroni's and PostgreSQL's)
   * and where the pooler Service's forwarder sends connections: "server closed the connection
   * unexpectedly" through NAME-pooler says nothing more by itself.
   */
  @RegisterExtension
  static final FailureDiagnostics DIAGNOSTICS = new FailureDiagnostics(NAMESPACE);

  private static final String EXAMPLE =
      "/seed-examples/003-l108-postgrescluster-production-db.yaml";
  private static final String NAME = "production-db";
  private static final String APP_PASSWORD = "app-secret-1";
  private static final String STORAGE_CLASS = "fast-ssd";

  private static CertificateAuthority.Issued ca;
  private static HaCluster cluster;
  private static TlsProbe tls;

  @BeforeAll
  static void start() throws Exception {
    NAMESPACE
        .client()
        .storage()
        .v1()
        .storageClasses()
        .resource(
            new StorageClassBuilder()
                .withNewMetadata()
                .withName(STORAGE_CLASS)
                .endMetadata()
                .withProvisioner("testbed.pgtrickle.io/volume-provisioner")
                .withVolumeBindingMode("Immediate")
                .build())
        .createOr(existing -> existing.update());
    ca = CertificateAuthority.newCa("production CA", Instant.now(), Duration.ofDays(30));
    // What the certificate must name: the cluster's Services (ClusterTls.dnsNames needs only the
    // cluster's name and namespace).
    PostgresCluster named = new PostgresCluster();
    named.setMetadata(
        new io.fabric8.kubernetes.api.model.ObjectMetaBuilder()
            .withName(NAME)
            .withNamespace(NAMESPACE.name())
            .build());
    CertificateAuthority.Issued server =
        CertificateAuthority.issueServer(
            ca, ClusterTls.dnsNames(named), Instant.now(), Duration.ofDays(30));
    var secrets = NAMESPACE.client().secrets().inNamespace(NAMESPACE.name());
    secrets
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName("postgres-tls")
                .endMetadata()
                .withType("kubernetes.io/tls")
                .addToData("tls.crt", TlsProbe.b64(server.certificatePem()))
                .addToData("tls.key", TlsProbe.b64(server.privateKeyPem()))
                .addToData("ca.crt", TlsProbe.b64(ca.certificatePem()))
                .build())
        .create();
    secrets
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName("aws-credentials")
                .endMetadata()
                .addToStringData("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
                .addToStringData(
                    "AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
                .build())
        .create();
    String manifest;
    try (InputStream in = ProductionExampleIT.class.getResourceAsStream(EXAMPLE)) {
      manifest = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    cluster =
        HaCluster.fromManifest(
            NAMESPACE.testBed(), NAMESPACE.name(), manifest, Duration.ofSeconds(300));
    tls = new TlsProbe(NAMESPACE, cluster);
    // An application role: PgBouncer's auth_query serves roles that are not superusers.
    try (Connection c = cluster.connect(cluster.primaryIp().orElseThrow());
        Statement s = c.createStatement()) {
      s.execute("CREATE ROLE app LOGIN PASSWORD '" + APP_PASSWORD + "'");
      s.execute("CREATE TABLE orders (id bigserial PRIMARY KEY, item text)");
      s.execute("GRANT ALL ON orders TO app");
      s.execute("GRANT ALL ON SEQUENCE orders_id_seq TO app");
    }
  }

  @AfterAll
  static void stop() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
    if (tls != null) {
      tls.close();
    }
    NAMESPACE.client().storage().v1().storageClasses().withName(STORAGE_CLASS).delete();
  }

  @Test
  @Order(1)
  void runsThreeMembersOfPostgres16WithTheExamplesSettings() {
    PostgresCluster c = cluster.cluster();
    assertThat(c.getStatus().getReplicas()).isEqualTo("3/3");
    assertThat(tls.primary("show server_version_num")).startsWith("16");
    assertThat(tls.primary("show max_connections")).isEqualTo("200");
    assertThat(tls.primary("show shared_buffers")).isEqualTo("1GB");
    assertThat(tls.primary("show effective_cache_size")).isEqualTo("3GB");
    var claims =
        NAMESPACE.client().persistentVolumeClaims().inNamespace(NAMESPACE.name()).list().getItems();
    assertThat(claims).hasSize(3);
    assertThat(claims)
        .allSatisfy(
            claim -> {
              assertThat(claim.getSpec().getStorageClassName()).isEqualTo(STORAGE_CLASS);
              assertThat(claim.getSpec().getResources().getRequests().get("storage").toString())
                  .isEqualTo("100Gi");
              assertThat(claim.getStatus().getPhase()).isEqualTo("Bound");
            });
    var postgres =
        NAMESPACE
            .client()
            .apps()
            .statefulSets()
            .inNamespace(NAMESPACE.name())
            .withName(NAME)
            .get()
            .getSpec()
            .getTemplate()
            .getSpec()
            .getContainers()
            .stream()
            .filter(container -> container.getName().equals("postgres"))
            .findFirst()
            .orElseThrow();
    assertThat(postgres.getResources().getRequests().get("cpu").toString()).isEqualTo("2");
    assertThat(postgres.getResources().getRequests().get("memory").toString()).isEqualTo("4Gi");
    assertThat(postgres.getResources().getLimits().get("cpu").toString()).isEqualTo("4");
    assertThat(postgres.getResources().getLimits().get("memory").toString()).isEqualTo("8Gi");
  }

  @Test
  @Order(2)
  void theServerServesTheUsersCertificateAndReplicasStreamOverTls() {
    assertThat(tls.secretText(NAME + "-ca", "ca.crt")).isEqualTo(ca.certificatePem());
    assertThat(tls.primary("select ssl from pg_stat_ssl where pid = pg_backend_pid()"))
        .isEqualTo("t");
    assertThat(tls.servedSerial())
        .isEqualTo(TlsProbe.serial(tls.secretText("postgres-tls", "tls.crt")));
    await()
        .atMost(Duration.ofSeconds(90))
        .ignoreExceptions()
        .untilAsserted(
            () ->
                assertThat(
                        tls.primary(
                            "select count(*) from pg_stat_replication r join pg_stat_ssl s"
                                + " using (pid) where r.state = 'streaming' and s.ssl"))
                    .isEqualTo("2"));
  }

  @Test
  @Order(3)
  void anApplicationWritesAndReadsThroughThePoolerWithVerifyFull() {
    await()
        .atMost(Duration.ofSeconds(60))
        .ignoreExceptions()
        .untilAsserted(
            () -> {
              Psql.Result write =
                  Psql.run(
                      poolerConninfo(),
                      APP_PASSWORD,
                      "insert into orders (item) values ('through the pooler') returning id");
              assertThat(write.ok()).as(write.output()).isTrue();
            });
    Psql.Result read =
        Psql.run(
            poolerConninfo(),
            APP_PASSWORD,
            "select item from orders where item = 'through the pooler'");
    assertThat(read.ok()).as(read.output()).isTrue();
    assertThat(read.output()).isEqualTo("through the pooler");
    // Without TLS the pooler refuses the client.
    Psql.Result plain =
        Psql.run(
            poolerConninfo().replace("sslmode=verify-full", "sslmode=disable"),
            APP_PASSWORD,
            "select 1");
    assertThat(plain.ok()).as(plain.output()).isFalse();
    String ini = pgbouncerIni();
    assertThat(ini).contains("pool_mode = transaction").contains("max_client_conn = 1000");
  }

  @Test
  @Order(4)
  void theServicesAreLoadBalancersLimitedToTheSourceRanges() {
    for (String service : List.of(NAME + "-primary", NAME + "-replica", NAME + "-pooler")) {
      Service s =
          NAMESPACE.client().services().inNamespace(NAMESPACE.name()).withName(service).get();
      assertThat(s).as(service).isNotNull();
      assertThat(s.getSpec().getType()).as(service).isEqualTo("LoadBalancer");
      assertThat(s.getSpec().getLoadBalancerSourceRanges())
          .as(service)
          .containsExactly("10.0.0.0/8");
    }
  }

  @Test
  @Order(5)
  void archivingToTheUnreachableS3FailsWithoutBlockingWrites() {
    assertThat(tls.primary("show archive_mode")).isEqualTo("on");
    assertThat(tls.primary("show archive_command")).contains("pgbackrest").contains("archive-push");
    tls.primary("select pg_switch_wal()");
    await()
        .atMost(Duration.ofSeconds(120))
        .ignoreExceptions()
        .untilAsserted(
            () ->
                assertThat(tls.primary("select failed_count > 0 from pg_stat_archiver"))
                    .isEqualTo("t"));
    assertThat(tls.primary("select archived_count from pg_stat_archiver")).isEqualTo("0");
    // The operator says so on the cluster (it reads the primary's archiver every
    // OperatorRunner.ARCHIVING_CHECK).
    await()
        .atMost(Duration.ofSeconds(150))
        .untilAsserted(
            () -> {
              Condition archiving =
                  Conditions.find(
                          cluster.cluster().getStatus().getConditions(), ContinuousArchiving.TYPE)
                      .orElse(null);
              assertThat(archiving).as("condition ContinuousArchiving").isNotNull();
              assertThat(archiving.getStatus()).isEqualTo("False");
              // The operator looks into the repository once (pgbackrest info): unreachable, or,
              // when that look itself does not end in time, the archiver's figures.
              assertThat(archiving.getReason())
                  .isIn(ContinuousArchiving.FAILING, "RepositoryUnreachable");
              if (ContinuousArchiving.FAILING.equals(archiving.getReason())) {
                assertThat(archiving.getMessage())
                    .contains("s3://my-backups (us-east-1)")
                    .contains("none archived yet");
              } else {
                assertThat(archiving.getMessage())
                    .contains("S3 bucket my-backups")
                    .contains("is unreachable: ");
              }
            });
    // Writes go on, through the pooler, while every WAL file waits for the archive.
    for (int i = 0; i < 3; i++) {
      tls.primary("select pg_switch_wal()");
      Psql.Result write =
          Psql.run(
              poolerConninfo(),
              APP_PASSWORD,
              "insert into orders (item) select 'while archiving fails' from generate_series(1, 100)");
      assertThat(write.ok()).as(write.output()).isTrue();
    }
    assertThat(tls.primary("select count(*) from orders where item = 'while archiving fails'"))
        .isEqualTo("300");
    assertThat(cluster.cluster().getStatus().getPhase().name()).isEqualTo("Running");
    // backup.schedule and retention: the PostgresBackup NAME-schedule, nightly at 02:00 UTC.
    var scheduled =
        NAMESPACE
            .client()
            .resources(io.pgtrickle.operator.api.PostgresBackup.class)
            .inNamespace(NAMESPACE.name())
            .withName(NAME + "-schedule")
            .get();
    assertThat(scheduled).as(NAME + "-schedule").isNotNull();
    assertThat(scheduled.getSpec().getClusterName()).isEqualTo(NAME);
    assertThat(scheduled.getSpec().getSchedule()).isEqualTo("0 2 * * *");
    assertThat(scheduled.getSpec().getRetention().getCount()).isEqualTo(7);
  }

  private static String poolerConninfo() {
    String address = cluster.pods().routing().virtualAddress(NAME + "-pooler").orElseThrow();
    return "host="
        + NAME
        + "-pooler."
        + NAMESPACE.name()
        + ".svc hostaddr="
        + address
        + " port=6432 user=app dbname=postgres sslmode=verify-full sslrootcert="
        + tls.caFile();
  }

  private static String pgbouncerIni() {
    return NAMESPACE
        .client()
        .configMaps()
        .inNamespace(NAMESPACE.name())
        .withName(NAME + "-pgbouncer")
        .get()
        .getData()
        .values()
        .stream()
        .filter(v -> v.contains("pool_mode"))
        .findFirst()
        .orElse("");
  }
}
