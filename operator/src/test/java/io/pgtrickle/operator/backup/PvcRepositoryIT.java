package io.pgtrickle.operator.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.batch.v1.CronJob;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.pgtrickle.operator.api.PostgresBackup;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.status.Conditions;
import io.pgtrickle.operator.testbed.Edits;
import io.pgtrickle.operator.testbed.HaCluster;
import io.pgtrickle.testbed.TestNamespace;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code spec.backup.destination.type: PVC} for real: the operator makes the ReadWriteMany claim
 * {@code NAME-pgbackrest-repo} (no owner: the backups outlive the cluster), every member mounts it
 * at {@code /pgbackrest-repo} (on the test bed one directory per claim shared by the pods, as a
 * ReadWriteMany volume is), pgBackRest 2.55.1 archives WAL and takes a full then an incremental
 * backup into it ({@code repo1-type=posix}), {@code pgbackrest info} in the pod agrees with the
 * PostgresBackup's status, and a new cluster restores from it (the source's claim mounted read-only
 * beside its own) with the source's data ({@link ObjectStoreRoundTrip}).
 */
class PvcRepositoryIT {

  @RegisterExtension static final TestNamespace NAMESPACE = new TestNamespace();

  @Test
  void backupsLandOnTheRepositoryVolumeAndANewClusterRestoresFromIt() throws Exception {
    KubernetesClient client = NAMESPACE.client();
    ObjectStoreRoundTrip roundTrip = new ObjectStoreRoundTrip(NAMESPACE);
    Path claims =
        NAMESPACE
            .testBed()
            .repositoryRootPath()
            .resolve("target/testbed/pod-volumes")
            .resolve(NAMESPACE.name())
            .resolve("claims");
    roundTrip.run(
        "  backup:\n    destination:\n      type: PVC\n      size: 2Gi\n",
        "the volume src-pgbackrest-repo",
        () -> {
          PersistentVolumeClaim claim =
              client
                  .persistentVolumeClaims()
                  .inNamespace(NAMESPACE.name())
                  .withName("src-pgbackrest-repo")
                  .get();
          assertThat(claim.getSpec().getAccessModes()).containsExactly("ReadWriteMany");
          assertThat(claim.getSpec().getResources().getRequests().get("storage").toString())
              .isEqualTo("2Gi");
          assertThat(claim.getMetadata().getOwnerReferences()).isNullOrEmpty();
          return files(claims.resolve("src-pgbackrest-repo"), roundTrip.path("src"));
        },
        source -> {
          long start = System.nanoTime();
          scheduleWaitsWhileTheClusterHasNoBackup(client, source);
          System.out.printf(
              "PvcRepositoryIT: spec.backup removed and added back in %.1f s%n",
              (System.nanoTime() - start) / 1e9);
        });
  }

  /**
   * {@code spec.backup} removed: a PostgresBackup's schedule is suspended (each Job would fail) and
   * says why (condition ClusterBackupConfigured False, ClusterHasNoBackup); added back with another
   * {@code destination.size} than the volume has: the schedule resumes, and the cluster reports the
   * size it cannot have (condition BackupRepository False, RepositorySizeMismatch) instead of
   * ignoring it.
   */
  private static void scheduleWaitsWhileTheClusterHasNoBackup(
      KubernetesClient client, HaCluster source) {
    String ns = NAMESPACE.name();
    client
        .resource(
            client
                .getKubernetesSerialization()
                .unmarshal(
                    "apiVersion: postgres.example.com/v1\nkind: PostgresBackup\nmetadata:\n"
                        + "  name: nightly\n  namespace: "
                        + ns
                        + "\nspec:\n  clusterName: src\n  schedule: \"0 3 * * *\"\n",
                    PostgresBackup.class))
        .create();
    String cronJob = BackupNames.cronJob("nightly");
    await()
        .atMost(Duration.ofSeconds(60))
        .untilAsserted(
            () -> {
              CronJob c = client.batch().v1().cronjobs().inNamespace(ns).withName(cronJob).get();
              assertThat(c).as("CronJob " + cronJob).isNotNull();
              assertThat(c.getSpec().getSuspend()).isNotEqualTo(Boolean.TRUE);
            });
    var cluster = client.resources(PostgresCluster.class).inNamespace(ns).withName("src");
    var backup = cluster.get().getSpec().getBackup();

    Edits.edit(
        cluster,
        c -> {
          c.getSpec().setBackup(null);
          return c;
        });
    await()
        .atMost(Duration.ofSeconds(60))
        .untilAsserted(
            () -> {
              assertThat(
                      client
                          .batch()
                          .v1()
                          .cronjobs()
                          .inNamespace(ns)
                          .withName(cronJob)
                          .get()
                          .getSpec()
                          .getSuspend())
                  .as("CronJob suspended")
                  .isTrue();
              Condition c = backupCondition(client, "nightly");
              assertThat(c.getStatus()).isEqualTo("False");
              assertThat(c.getReason()).isEqualTo("ClusterHasNoBackup");
              assertThat(c.getMessage())
                  .startsWith("spec.backup of PostgresCluster src is not set");
              // No backup runs at the next time: nothing is shown as scheduled (a trial saw it
              // advance every 5 minutes while the CronJob was suspended).
              assertThat(backupStatus(client, "nightly").getNextScheduled()).isNull();
              assertThat(backupStatus(client, "nightly").getPhase())
                  .isEqualTo(io.pgtrickle.operator.api.BackupPhase.Pending);
              assertThat(
                      Conditions.find(
                          cluster.get().getStatus().getConditions(), ContinuousArchiving.TYPE))
                  .as("no archiving reported without spec.backup")
                  .isEmpty();
            });

    backup.getDestination().setSize("3Gi");
    Edits.edit(
        cluster,
        c -> {
          c.getSpec().setBackup(backup);
          return c;
        });
    await()
        .atMost(Duration.ofSeconds(60))
        .untilAsserted(
            () -> {
              Condition size =
                  Conditions.find(cluster.get().getStatus().getConditions(), "BackupRepository")
                      .orElse(null);
              assertThat(size).as("condition BackupRepository").isNotNull();
              assertThat(size.getStatus()).isEqualTo("False");
              assertThat(size.getReason()).isEqualTo("RepositorySizeMismatch");
              // A larger size is volume expansion, which the test bed's class-less claim
              // cannot have: said, and archiving goes on.
              assertThat(size.getMessage())
                  .startsWith(
                      "The repository volume src-pgbackrest-repo is to grow to 3Gi"
                          + " (destination.size, or spec.storage.size when absent): it cannot"
                          + " grow: it has no StorageClass");
              assertThat(
                      client
                          .batch()
                          .v1()
                          .cronjobs()
                          .inNamespace(ns)
                          .withName(cronJob)
                          .get()
                          .getSpec()
                          .getSuspend())
                  .as("CronJob resumed")
                  .isNotEqualTo(Boolean.TRUE);
              Condition c = backupCondition(client, "nightly");
              assertThat(c.getStatus()).isEqualTo("True");
              assertThat(c.getReason()).isEqualTo("ClusterHasBackup");
              assertThat(backupStatus(client, "nightly").getNextScheduled()).isNotNull();
            });
    // The claim keeps its size: nothing was resized behind the condition's back.
    assertThat(
            client
                .persistentVolumeClaims()
                .inNamespace(ns)
                .withName("src-pgbackrest-repo")
                .get()
                .getSpec()
                .getResources()
                .getRequests()
                .get("storage")
                .toString())
        .isEqualTo("2Gi");
  }

  private static io.pgtrickle.operator.api.PostgresBackupStatus backupStatus(
      KubernetesClient client, String name) {
    PostgresBackup b =
        client.resources(PostgresBackup.class).inNamespace(NAMESPACE.name()).withName(name).get();
    assertThat(b.getStatus()).isNotNull();
    return b.getStatus();
  }

  private static Condition backupCondition(KubernetesClient client, String name) {
    PostgresBackup b =
        client.resources(PostgresBackup.class).inNamespace(NAMESPACE.name()).withName(name).get();
    assertThat(b.getStatus()).isNotNull();
    return Conditions.find(b.getStatus().getConditions(), "ClusterBackupConfigured").orElseThrow();
  }

  /** The files under {@code root/path}, as paths relative to {@code root}. */
  private static List<String> files(Path root, String path) {
    try (Stream<Path> walk = Files.walk(root.resolve(path))) {
      return walk.filter(Files::isRegularFile).map(p -> root.relativize(p).toString()).toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
