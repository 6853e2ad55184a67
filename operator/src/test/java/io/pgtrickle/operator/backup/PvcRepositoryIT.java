package io.pgtrickle.operator.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.pgtrickle.operator.api.BackupPhase;
import io.pgtrickle.operator.api.PostgresBackup;
import io.pgtrickle.operator.api.PostgresBackupStatus;
import io.pgtrickle.operator.backup.pgbackrest.InfoParser;
import io.pgtrickle.operator.backup.pgbackrest.RepositoryBackup;
import io.pgtrickle.operator.testbed.HaCluster;
import io.pgtrickle.testbed.TestBed;
import io.pgtrickle.testbed.TestNamespace;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code spec.backup.destination.type: PVC} for real: the operator makes the ReadWriteMany claim
 * {@code NAME-pgbackrest-repo}, every member mounts it at {@code /pgbackrest-repo} (on the test bed
 * one directory per claim shared by the pods, as a ReadWriteMany volume is), pgBackRest 2.55.1
 * archives WAL and takes a full then an incremental backup into it ({@code repo1-type=posix}), and
 * {@code pgbackrest info} in the pod agrees with the PostgresBackup's status.
 */
class PvcRepositoryIT {

  @RegisterExtension static final TestNamespace NAMESPACE = new TestNamespace();

  private static HaCluster cluster;
  private static KubernetesClient client;

  @BeforeAll
  static void start() {
    client = NAMESPACE.client();
    cluster =
        HaCluster.startWith(
            NAMESPACE.testBed(),
            NAMESPACE.name(),
            "pvc",
            HaCluster.testedMajor(),
            1,
            "  backup:\n    destination:\n      type: PVC\n      size: 2Gi\n");
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void aFullThenAnIncrementalBackupAndTheWalLandOnTheRepositoryVolume() throws Exception {
    PersistentVolumeClaim claim =
        client
            .persistentVolumeClaims()
            .inNamespace(NAMESPACE.name())
            .withName("pvc-pgbackrest-repo")
            .get();
    assertThat(claim.getSpec().getAccessModes()).containsExactly("ReadWriteMany");
    assertThat(claim.getSpec().getResources().getRequests().get("storage").toString())
        .isEqualTo("2Gi");
    assertThat(claim.getMetadata().getOwnerReferences()).isNullOrEmpty();

    try (Connection c = cluster.connect(cluster.primaryIp().orElseThrow())) {
      c.createStatement()
          .execute("create table t as select g as id from generate_series(1, 10000) g");
    }
    client
        .resource(
            client
                .getKubernetesSerialization()
                .unmarshal(
                    "apiVersion: postgres.example.com/v1\nkind: PostgresBackup\nmetadata:\n"
                        + "  name: once\n  namespace: "
                        + NAMESPACE.name()
                        + "\nspec:\n  clusterName: pvc\n",
                    PostgresBackup.class))
        .create();
    PostgresBackupStatus full = awaitBackups(1);
    assertThat(full.getLastBackupType()).isEqualTo("full");

    cluster.tryOnPrimary("insert into t select g from generate_series(10001, 20000) g");
    client
        .resources(PostgresBackup.class)
        .inNamespace(NAMESPACE.name())
        .withName("once")
        .edit(
            b -> {
              b.getMetadata().setAnnotations(Map.of(PostgresBackup.TRIGGER_ANNOTATION, "now"));
              return b;
            });
    PostgresBackupStatus incr = awaitBackups(2);
    assertThat(incr.getLastBackupType()).isEqualTo("incr");

    // WAL archived into the volume.
    long before = cluster.queryLong("select archived_count from pg_stat_archiver");
    cluster.tryOnPrimary("select pg_switch_wal()");
    await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> cluster.queryLong("select archived_count from pg_stat_archiver") > before);

    TestBed.Result info =
        NAMESPACE
            .testBed()
            .kubectl(
                "exec",
                "-n",
                NAMESPACE.name(),
                cluster.primaryPod(),
                "-c",
                "postgres",
                "--",
                "pgbackrest",
                "info",
                "--output=json");
    assertThat(info.ok()).as(info.output()).isTrue();
    List<RepositoryBackup> backups = InfoParser.backups(info.output(), "db");
    assertThat(backups)
        .extracting(RepositoryBackup::label)
        .contains(full.getLastBackupName(), incr.getLastBackupName());

    // The files are on the volume (the test bed's directory of the claim), in the cluster's path.
    Path repository =
        NAMESPACE
            .testBed()
            .repositoryRootPath()
            .resolve("target/testbed/pod-volumes")
            .resolve(NAMESPACE.name())
            .resolve("claims/pvc-pgbackrest-repo/pgbackrest")
            .resolve(NAMESPACE.name())
            .resolve("pvc");
    assertThat(repository.resolve("backup/db").resolve(incr.getLastBackupName())).isDirectory();
    try (var archive = Files.walk(repository.resolve("archive/db"))) {
      assertThat(archive.map(Path::toString)).anyMatch(p -> p.endsWith(".zst"));
    }
  }

  private static PostgresBackupStatus awaitBackups(int count) {
    await()
        .atMost(Duration.ofSeconds(180))
        .pollInterval(Duration.ofSeconds(1))
        .untilAsserted(
            () -> {
              PostgresBackupStatus s = status();
              assertThat(s).isNotNull();
              assertThat(s.getBackupCount()).as(s.getMessage()).isEqualTo(count);
              assertThat(s.getPhase()).isIn(BackupPhase.Succeeded, BackupPhase.Scheduled);
            });
    return status();
  }

  private static PostgresBackupStatus status() {
    PostgresBackup b =
        client.resources(PostgresBackup.class).inNamespace(NAMESPACE.name()).withName("once").get();
    return b == null ? null : b.getStatus();
  }
}
