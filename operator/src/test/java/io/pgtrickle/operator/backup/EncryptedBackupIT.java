package io.pgtrickle.operator.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.pgtrickle.operator.api.PostgresBackup;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.status.Conditions;
import io.pgtrickle.operator.testbed.Edits;
import io.pgtrickle.operator.testbed.HaCluster;
import io.pgtrickle.testbed.S3Server;
import io.pgtrickle.testbed.TestBed;
import io.pgtrickle.testbed.TestNamespace;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code spec.backup.encryption} for real: a repository encrypted with the passphrase of a Secret
 * (pgBackRest's aes-256-cbc, client side) and zstd: a backup completes, pgBackRest reports the
 * cipher, and the object store holds no plaintext of pgBackRest's files (its info files start with
 * {@code [backrest]} when not encrypted).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EncryptedBackupIT {

  @RegisterExtension static final TestNamespace NAMESPACE = new TestNamespace();

  private static S3Server s3;
  private static HaCluster cluster;
  private static KubernetesClient client;

  @BeforeAll
  static void start() {
    client = NAMESPACE.client();
    s3 = S3Server.start(NAMESPACE.testBed());
    s3.createBucket("enc");
    for (var secret :
        List.of(
            Map.of(
                "name",
                "s3-credentials",
                "AWS_ACCESS_KEY_ID",
                s3.accessKey(),
                "AWS_SECRET_ACCESS_KEY",
                s3.secretKey()),
            Map.of("name", "s3-ca", "ca.crt", s3.caPem()),
            Map.of("name", "passphrase", "passphrase", "correct horse battery staple"))) {
      Map<String, String> data = new java.util.HashMap<>(secret);
      String name = data.remove("name");
      client
          .resource(
              new SecretBuilder()
                  .withNewMetadata()
                  .withName(name)
                  .withNamespace(NAMESPACE.name())
                  .endMetadata()
                  .withStringData(data)
                  .build())
          .create();
    }
    cluster =
        HaCluster.startWith(
            NAMESPACE.testBed(),
            NAMESPACE.name(),
            "enc",
            HaCluster.testedMajor(),
            1,
            "  backup:\n"
                + "    compression: zstd\n"
                + "    encryption:\n"
                + "      enabled: true\n"
                + "      keySecret: passphrase\n"
                + destination());
  }

  /** {@code spec.backup.destination}: bucket enc of the test's S3 server. */
  private static String destination() {
    return "    destination:\n"
        + "      type: S3\n"
        + "      endpoint: "
        + s3.endpoint()
        + "\n"
        + "      bucket: enc\n"
        + "      region: us-east-1\n"
        + "      credentialsSecret: s3-credentials\n"
        + "      caSecret: s3-ca\n";
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.close();
    }
    if (s3 != null) {
      s3.close();
    }
  }

  @Test
  @Order(1)
  void backupsAreEncryptedWithThePassphraseOfTheSecret() throws Exception {
    client
        .resource(
            client
                .getKubernetesSerialization()
                .unmarshal(
                    "apiVersion: postgres.example.com/v1\nkind: PostgresBackup\nmetadata:\n"
                        + "  name: once\n  namespace: "
                        + NAMESPACE.name()
                        + "\nspec:\n  clusterName: enc\n",
                    PostgresBackup.class))
        .create();
    BackupDiagnostics.awaitSucceeded(NAMESPACE, "once", Duration.ofSeconds(150));
    TestBed.Result info =
        NAMESPACE
            .testBed()
            .kubectl(
                "exec",
                "-n",
                NAMESPACE.name(),
                cluster.primaryPod(),
                "--",
                "pgbackrest",
                "info",
                "--output=json");
    assertThat(info.ok()).as(info.output()).isTrue();
    assertThat(info.output()).contains("\"cipher\":\"aes-256-cbc\"");

    String prefix = "pgbackrest/" + NAMESPACE.name() + "/enc";
    List<String> objects = s3.objects("enc", prefix);
    assertThat(objects).anyMatch(o -> o.endsWith("backup/db/backup.info"));
    assertThat(objects).anyMatch(o -> o.contains("/archive/db/"));
    for (String object : objects) {
      byte[] bytes = Files.readAllBytes(s3.file("enc", object));
      assertThat(new String(bytes, StandardCharsets.ISO_8859_1))
          .as(object)
          .doesNotContain("[backrest]")
          .doesNotContain("PG_VERSION");
    }
  }

  /**
   * {@code spec.backup} removed and added back without encryption (the API server sees no
   * transition to refuse): archive-push fails on the encrypted repository, and the cluster says
   * why, naming the field, instead of only that archiving fails.
   */
  @Test
  @Order(2)
  void encryptionDroppedByReAddingSpecBackupIsReportedNotJustAFailingArchive() throws Exception {
    long start = System.nanoTime();
    var resource =
        client.resources(PostgresCluster.class).inNamespace(NAMESPACE.name()).withName("enc");
    var backup = resource.get().getSpec().getBackup();
    Edits.edit(
        resource,
        c -> {
          c.getSpec().setBackup(null);
          return c;
        });
    await()
        .atMost(Duration.ofSeconds(60))
        .untilAsserted(
            () ->
                assertThat(resource.get().getMetadata().getGeneration())
                    .isEqualTo(resource.get().getStatus().getObservedGeneration()));
    backup.setEncryption(null);
    Edits.edit(
        resource,
        c -> {
          c.getSpec().setBackup(backup);
          return c;
        });
    long[] lastSwitch = {0};
    try {
      awaitMismatchReported(resource, lastSwitch);
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      // CI of 2026-12-06 once saw one restart, then neither a second one nor a failing archive.
      throw new AssertionError(e.getMessage() + "\n" + cluster.diagnostics(), e);
    }
    System.out.printf(
        "EncryptedBackupIT: mismatch reported %.1f s after spec.backup was removed%n",
        (System.nanoTime() - start) / 1e9);
  }

  private void awaitMismatchReported(
      io.fabric8.kubernetes.client.dsl.Resource<PostgresCluster> resource, long[] lastSwitch) {
    // Two rolling restarts of the only member when the first one took the template without
    // spec.backup (RolloutPlanner waits for the member to be ready before the next): 22-46 s when
    // one restart sufficed, and once more than 90 s with both CI streams loading the machine.
    await()
        .atMost(Duration.ofSeconds(180))
        .pollInterval(Duration.ofSeconds(2))
        .untilAsserted(
            () -> {
              // A WAL file to push, every 15 s (archive_timeout would bring one within 60 s; the
              // member restarts twice meanwhile, and failing files stay in pg_wal).
              if (System.nanoTime() - lastSwitch[0] > 15_000_000_000L
                  && cluster.tryOnPrimary(
                      "select pg_switch_wal() from (select txid_current()) t")) {
                lastSwitch[0] = System.nanoTime();
              }
              Condition c =
                  Conditions.find(
                          resource.get().getStatus().getConditions(), ContinuousArchiving.TYPE)
                      .orElse(null);
              assertThat(c).as("condition ContinuousArchiving").isNotNull();
              assertThat(c.getReason())
                  .as(c.getMessage())
                  .isEqualTo("RepositoryEncryptionMismatch");
              assertThat(c.getStatus()).isEqualTo("False");
              assertThat(c.getMessage())
                  .contains("spec.backup.encryption is not enabled but repository S3 bucket enc")
                  .contains("is encrypted");
            });
  }

  /**
   * {@code encryption.enabled} without {@code keySecret}: the operator generates {@code
   * NAME-pgbackrest-cipher} (no owner reference: it must outlive the cluster, as the repository
   * does), the repository is encrypted with it, and a restore from it reads the backup with it.
   */
  @Test
  @Order(3)
  void aGeneratedPassphraseEncryptsTheRepositoryAndRestores() throws Exception {
    long start = System.nanoTime();
    try (HaCluster gen =
        HaCluster.beside(
            cluster,
            "gen",
            "  version: "
                + HaCluster.testedMajor()
                + "\n  replicas: 1\n  storage:\n    size: 1Gi\n"
                + "  backup:\n    encryption:\n      enabled: true\n"
                + destination())) {
      gen.awaitRunning(Duration.ofSeconds(120));
      var secret = client.secrets().inNamespace(NAMESPACE.name()).withName("gen-pgbackrest-cipher");
      assertThat(secret.get()).as("the generated passphrase Secret").isNotNull();
      assertThat(secret.get().getMetadata().getOwnerReferences()).isNullOrEmpty();
      String passphrase =
          new String(
              java.util.Base64.getDecoder().decode(secret.get().getData().get("passphrase")),
              StandardCharsets.US_ASCII);
      assertThat(java.util.Base64.getDecoder().decode(passphrase)).hasSize(48);
      assertThat(gen.tryOnPrimary("create table kept as select 42 as answer"))
          .as("a table on gen")
          .isTrue();
      assertThat(gen.queryLong("select count(*) from kept")).isEqualTo(1);
      client
          .resource(
              client
                  .getKubernetesSerialization()
                  .unmarshal(
                      "apiVersion: postgres.example.com/v1\nkind: PostgresBackup\nmetadata:\n"
                          + "  name: gen-once\n  namespace: "
                          + NAMESPACE.name()
                          + "\nspec:\n  clusterName: gen\n",
                      PostgresBackup.class))
          .create();
      BackupDiagnostics.awaitSucceeded(NAMESPACE, "gen-once", Duration.ofSeconds(150));
      String prefix = "pgbackrest/" + NAMESPACE.name() + "/gen";
      List<String> objects = s3.objects("enc", prefix);
      assertThat(objects).anyMatch(o -> o.endsWith("backup/db/backup.info"));
      for (String object : objects) {
        assertThat(
                new String(Files.readAllBytes(s3.file("enc", object)), StandardCharsets.ISO_8859_1))
            .as(object)
            .doesNotContain("[backrest]")
            .doesNotContain("PG_VERSION");
      }
      // Another passphrase would not read it: pgBackRest with the generated one does.
      TestBed.Result info =
          NAMESPACE
              .testBed()
              .kubectl(
                  "exec",
                  "-n",
                  NAMESPACE.name(),
                  gen.primaryPod(),
                  "--",
                  "pgbackrest",
                  "info",
                  "--output=json");
      assertThat(info.ok()).as(info.output()).isTrue();
      assertThat(info.output()).contains("\"cipher\":\"aes-256-cbc\"");
      try (HaCluster copy =
          HaCluster.beside(
              cluster,
              "gen-copy",
              "  version: "
                  + HaCluster.testedMajor()
                  + "\n  replicas: 1\n  storage:\n    size: 1Gi\n"
                  + "  restore:\n    backupName: gen-once\n")) {
        copy.awaitRunning(Duration.ofSeconds(240));
        assertThat(copy.queryLong("select answer from kept")).isEqualTo(42);
      }
    }
    assertThat(
            client.secrets().inNamespace(NAMESPACE.name()).withName("gen-pgbackrest-cipher").get())
        .as("the passphrase outlives its cluster")
        .isNotNull();
    System.out.printf(
        "EncryptedBackupIT: generated passphrase, backup and restore in %.1f s%n",
        (System.nanoTime() - start) / 1e9);
  }
}
