package io.pgtrickle.operator.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.pgtrickle.operator.api.PostgresBackup;
import io.pgtrickle.operator.api.PostgresBackupStatus;
import io.pgtrickle.operator.backup.pgbackrest.InfoParser;
import io.pgtrickle.operator.backup.pgbackrest.RepositoryBackup;
import io.pgtrickle.operator.backup.spec.PgBackRestServer;
import io.pgtrickle.operator.testbed.HaCluster;
import io.pgtrickle.testbed.S3Server;
import io.pgtrickle.testbed.TestBed;
import io.pgtrickle.testbed.TestNamespace;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code spec.backup.backupFromReplica} for real: a two-member cluster (real Patroni, PostgreSQL,
 * pgBackRest 2.55.1 and its TLS server as the {@code pgbackrest} sidecar of every member) backing
 * up to s3proxy; a PostgresBackup's backup runs in the streaming replica's container with {@code
 * backup-standby=y} and the primary as pg2 over mutual TLS, its status names the replica, and a new
 * cluster restored from it holds the source's data (equal checksum). The cluster sets {@code
 * spec.backup.processMax: 2}, which the backup's manifest records.
 */
class ReplicaBackupIT {

  @RegisterExtension static final TestNamespace NAMESPACE = new TestNamespace();

  private static final String BUCKET = "backups";
  private static final String CHECKSUM =
      "select md5(string_agg(id || ':' || note, ',' order by id)) from t";

  private static S3Server s3;
  private static HaCluster source;
  private static KubernetesClient client;

  @BeforeAll
  static void start() {
    client = NAMESPACE.client();
    s3 = S3Server.start(NAMESPACE.testBed());
    s3.createBucket(BUCKET);
    secret(
        "s3-credentials",
        Map.of("AWS_ACCESS_KEY_ID", s3.accessKey(), "AWS_SECRET_ACCESS_KEY", s3.secretKey()));
    secret("s3-ca", Map.of("ca.crt", s3.caPem()));
    source =
        HaCluster.startWith(
            NAMESPACE.testBed(),
            NAMESPACE.name(),
            "rep",
            HaCluster.testedMajor(),
            2,
            backupSpec() + "    backupFromReplica: true\n    processMax: 2\n");
  }

  @AfterAll
  static void stop() {
    if (source != null) {
      source.close();
    }
    if (s3 != null) {
      s3.close();
    }
  }

  @Test
  void aBackupReadsTheStreamingReplicaAndRestoresToTheSourcesData() throws Exception {
    source.awaitReplicationHealthy(Duration.ofMinutes(3));
    // Every member runs pgBackRest's TLS server beside PostgreSQL.
    for (Pod pod : client.pods().inNamespace(NAMESPACE.name()).list().getItems()) {
      assertThat(pod.getSpec().getContainers())
          .anySatisfy(c -> assertThat(c.getName()).isEqualTo(PgBackRestServer.CONTAINER));
    }
    try (Connection c = source.connect(source.primaryIp().orElseThrow())) {
      c.createStatement().execute("create table t (id int primary key, note text)");
      c.createStatement()
          .execute("insert into t select g, md5(g::text) from generate_series(1, 20000) g");
    }
    String primary = source.primaryPod();
    client
        .resource(
            client
                .getKubernetesSerialization()
                .unmarshal(
                    "apiVersion: postgres.example.com/v1\nkind: PostgresBackup\nmetadata:\n"
                        + "  name: rep-backup\n  namespace: "
                        + NAMESPACE.name()
                        + "\nspec:\n  clusterName: rep\n",
                    PostgresBackup.class))
        .create();
    PostgresBackupStatus status = awaitBackup("rep-backup");
    assertThat(status.getLastBackupSource()).isEqualTo("replica");
    assertThat(status.getLastBackupMember()).startsWith("rep-").isNotEqualTo(primary);
    assertThat(status.getMessage()).contains("of replica " + status.getLastBackupMember());

    // pgBackRest's own record: a full backup, taken with the standby (its backup.info keeps the
    // option), listed by `pgbackrest info` in the primary.
    TestBed.Result info =
        NAMESPACE
            .testBed()
            .kubectl(
                "exec",
                "-n",
                NAMESPACE.name(),
                primary,
                "-c",
                "postgres",
                "--",
                "pgbackrest",
                "info",
                "--output=json");
    assertThat(info.ok()).as(info.output()).isTrue();
    List<RepositoryBackup> backups = InfoParser.backups(info.output(), "db");
    assertThat(backups).extracting(RepositoryBackup::label).contains(status.getLastBackupName());
    assertThat(
            s3.objects(BUCKET, "pgbackrest/" + NAMESPACE.name() + "/rep/backup/db").stream()
                .filter(o -> o.contains(status.getLastBackupName()))
                .anyMatch(o -> o.endsWith("backup.manifest")))
        .isTrue();
    String manifest =
        java.nio.file.Files.readString(
            s3.file(
                BUCKET,
                "pgbackrest/"
                    + NAMESPACE.name()
                    + "/rep/backup/db/"
                    + status.getLastBackupName()
                    + "/backup.manifest"));
    assertThat(manifest).contains("option-backup-standby=true");
    // spec.backup.processMax reached the Job's pgBackRest.
    assertThat(manifest).contains("option-process-max=2");

    String expected = query(source, CHECKSUM);
    awaitArchived(source);
    try (HaCluster copy =
        HaCluster.beside(
            source,
            "copy",
            "  version: "
                + HaCluster.testedMajor()
                + "\n  replicas: 1\n  storage:\n    size: 1Gi\n  restore:\n"
                + "    backupName: rep-backup\n")) {
      copy.awaitRunning(Duration.ofSeconds(240));
      assertThat(query(copy, CHECKSUM)).isEqualTo(expected);
    }
  }

  private static PostgresBackupStatus awaitBackup(String name) {
    return BackupDiagnostics.awaitSucceeded(NAMESPACE, name, Duration.ofSeconds(180));
  }

  private static void awaitArchived(HaCluster cluster) throws Exception {
    String closed = query(cluster, "select pg_walfile_name(pg_switch_wal())");
    await()
        .atMost(Duration.ofSeconds(60))
        .ignoreExceptions()
        .until(
            () ->
                query(cluster, "select coalesce(last_archived_wal, '') from pg_stat_archiver")
                        .compareTo(closed)
                    >= 0);
  }

  private static String query(HaCluster cluster, String sql) throws Exception {
    try (Connection c = cluster.connect(cluster.primaryIp().orElseThrow());
        ResultSet rs = c.createStatement().executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    }
  }

  private static String backupSpec() {
    return "  backup:\n"
        + "    destination:\n"
        + "      type: S3\n"
        + "      endpoint: "
        + s3.endpoint()
        + "\n      bucket: "
        + BUCKET
        + "\n      region: us-east-1\n"
        + "      credentialsSecret: s3-credentials\n"
        + "      caSecret: s3-ca\n";
  }

  private static void secret(String name, Map<String, String> data) {
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
}
