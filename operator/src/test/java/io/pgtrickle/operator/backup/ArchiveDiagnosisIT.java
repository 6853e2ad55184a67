package io.pgtrickle.operator.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.pgtrickle.operator.api.BackupPhase;
import io.pgtrickle.operator.api.PostgresBackup;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.testbed.HaCluster;
import io.pgtrickle.testbed.S3Server;
import io.pgtrickle.testbed.TestNamespace;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Why archiving fails, in the condition {@code ContinuousArchiving} ({@link ArchiveDiagnosis}): a
 * new repository gets its stanza from the operator, so WAL is archived before any backup; and a
 * cluster whose repository holds another database's stanza (a deleted cluster's, at the same path)
 * is told so, naming both system identifiers, rather than "pgBackRest's error is in the primary's
 * PostgreSQL log"; and so is a backup of that cluster, in its condition {@code LastBackupSucceeded}
 * ({@link BackupFailure}).
 */
class ArchiveDiagnosisIT {

  @RegisterExtension static final TestNamespace NAMESPACE = new TestNamespace();

  private static final String BUCKET = "backups";

  private static S3Server s3;
  private static HaCluster first;
  private static KubernetesClient client;

  @BeforeAll
  static void start() {
    client = NAMESPACE.client();
    s3 = S3Server.start(NAMESPACE.testBed());
    s3.createBucket(BUCKET);
    client
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName("s3-credentials")
                .withNamespace(NAMESPACE.name())
                .endMetadata()
                .withStringData(
                    Map.of(
                        "AWS_ACCESS_KEY_ID", s3.accessKey(),
                        "AWS_SECRET_ACCESS_KEY", s3.secretKey(),
                        "ca.crt", s3.caPem()))
                .build())
        .create();
    first =
        HaCluster.startWith(
            NAMESPACE.testBed(), NAMESPACE.name(), "first", HaCluster.testedMajor(), 1, backup());
  }

  @AfterAll
  static void stop() {
    if (first != null) {
      first.close();
    }
    if (s3 != null) {
      s3.close();
    }
  }

  private static String backup() {
    return "  backup:\n    destination:\n      type: S3\n      endpoint: "
        + s3.endpoint()
        + "\n      bucket: "
        + BUCKET
        + "\n      path: /shared\n      region: us-east-1\n"
        + "      credentialsSecret: s3-credentials\n      caSecret: s3-credentials\n";
  }

  @Test
  void aNewRepositoryGetsItsStanzaAndAnotherDatabasesStanzaIsNamed() throws Exception {
    // No PostgresBackup at all: the operator creates the stanza, and WAL is archived.
    String segment = query(first, "select pg_walfile_name(pg_switch_wal())");
    await("WAL archived without any backup")
        .atMost(Duration.ofSeconds(240))
        .pollInterval(Duration.ofSeconds(2))
        .ignoreExceptions()
        .until(
            () -> query(first, "select coalesce(last_archived_wal, '') from pg_stat_archiver"),
            last -> last.compareTo(segment) >= 0);
    assertThat(s3.objects(BUCKET, "shared/archive/db")).anyMatch(o -> o.contains(segment + "-"));
    String firstSystem = query(first, "select system_identifier::text from pg_control_system()");

    // The cluster goes; another one is created at the same path (as one deleted and created again
    // under the same name would find its predecessor's repository).
    client
        .resources(PostgresCluster.class)
        .inNamespace(NAMESPACE.name())
        .withName("first")
        .delete();
    await()
        .atMost(Duration.ofSeconds(120))
        .until(
            () ->
                client
                    .resources(PostgresCluster.class)
                    .inNamespace(NAMESPACE.name())
                    .list()
                    .getItems()
                    .isEmpty());
    HaCluster second =
        HaCluster.beside(
            first,
            "second",
            "  version: "
                + HaCluster.testedMajor()
                + "\n  replicas: 1\n  storage:\n    size: 1Gi\n"
                + backup());
    try {
      second.awaitRunning(Duration.ofSeconds(180));
      String secondSystem =
          query(second, "select system_identifier::text from pg_control_system()");
      assertThat(secondSystem).isNotEqualTo(firstSystem);
      query(second, "select pg_walfile_name(pg_switch_wal())");
      Condition archiving =
          await("ContinuousArchiving " + ArchiveDiagnosis.OTHER_DATABASE)
              .atMost(Duration.ofSeconds(240))
              .pollInterval(Duration.ofSeconds(2))
              .ignoreExceptions()
              .until(
                  () -> archiving(second).orElse(null),
                  c -> c != null && ArchiveDiagnosis.OTHER_DATABASE.equals(c.getReason()));
      System.out.println("another database's stanza: " + archiving.getMessage());
      assertThat(archiving.getStatus()).isEqualTo("False");
      assertThat(archiving.getMessage())
          .contains("system identifier " + firstSystem + ", this cluster's is " + secondSystem)
          .contains("spec.backup.destination");

      // A backup of it fails (pgBackRest's stanza-create refuses the stanza) and says why.
      client
          .resource(
              client
                  .getKubernetesSerialization()
                  .unmarshal(
                      "apiVersion: postgres.example.com/v1\nkind: PostgresBackup\nmetadata:\n"
                          + "  name: second-once\n  namespace: "
                          + NAMESPACE.name()
                          + "\nspec:\n  clusterName: second\n",
                      PostgresBackup.class))
          .create();
      PostgresBackup failed =
          await("PostgresBackup second-once failed")
              .atMost(Duration.ofSeconds(300))
              .pollInterval(Duration.ofSeconds(2))
              .until(
                  () ->
                      client
                          .resources(PostgresBackup.class)
                          .inNamespace(NAMESPACE.name())
                          .withName("second-once")
                          .get(),
                  b -> b.getStatus() != null && b.getStatus().getPhase() == BackupPhase.Failed);
      Condition last =
          failed.getStatus().getConditions().stream()
              .filter(c -> PostgresBackupReconciler.CONDITION.equals(c.getType()))
              .findFirst()
              .orElseThrow();
      System.out.println("backup of another database's stanza: " + last.getReason());
      System.out.println("backup of another database's stanza: " + last.getMessage());
      assertThat(last.getStatus()).isEqualTo("False");
      assertThat(last.getReason()).isEqualTo(ArchiveDiagnosis.OTHER_DATABASE);
      assertThat(last.getMessage())
          .contains("system identifier " + firstSystem + ", this cluster's is " + secondSystem)
          .contains("/shared")
          .contains("Point spec.backup.destination at a new repository")
          .contains("backup Job");
      assertThat(failed.getStatus().getMessage()).startsWith(last.getMessage());
      assertThat(
              client.v1().events().inNamespace(NAMESPACE.name()).list().getItems().stream()
                  .filter(e -> "second-once".equals(e.getInvolvedObject().getName()))
                  .filter(e -> "Warning".equals(e.getType()))
                  .map(e -> e.getMessage()))
          .anyMatch(m -> m.startsWith(last.getMessage()));
    } finally {
      second.close();
    }
  }

  private static Optional<Condition> archiving(HaCluster cluster) {
    return Optional.ofNullable(cluster.cluster().getStatus().getConditions())
        .flatMap(
            cs ->
                cs.stream().filter(c -> ContinuousArchiving.TYPE.equals(c.getType())).findFirst());
  }

  private static String query(HaCluster cluster, String sql) throws SQLException {
    String ip =
        await().atMost(Duration.ofSeconds(30)).until(cluster::primaryIp, o -> o.isPresent()).get();
    try (Connection c = cluster.connect(ip);
        ResultSet rs = c.createStatement().executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    }
  }
}
