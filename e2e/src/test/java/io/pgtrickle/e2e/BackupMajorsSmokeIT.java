package io.pgtrickle.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.pgtrickle.operator.api.BackupPhase;
import io.pgtrickle.operator.api.PostgresBackup;
import io.pgtrickle.operator.api.PostgresBackupStatus;
import io.pgtrickle.operator.backup.pgbackrest.InfoParser;
import io.pgtrickle.operator.backup.pgbackrest.RepositoryBackup;
import io.pgtrickle.operator.testbed.HaCluster;
import io.pgtrickle.testbed.TestBed;
import io.pgtrickle.testbed.TestNamespace;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * pgBackRest on each PostgreSQL major the backup suite does not run in full (issue #16 §3: "full
 * suite on one major, smoke on the rest, as the HA suite does"; {@code -Dit.pg.smoke.versions},
 * default 14,16,17,18, as {@code PostgresMajorsSmokeIT}). One single-member cluster per major with
 * a PVC repository, all started at once: the operator's stanza, continuous WAL archiving ({@code
 * archive-push} of a switched WAL file), a one-off full backup through a PostgresBackup, and {@code
 * pgbackrest info} in the pod listing it with the major's system. {@code make test-backup-matrix}
 * runs the whole backup suite on every major.
 */
class BackupMajorsSmokeIT {

  @RegisterExtension static final TestNamespace NAMESPACE = new TestNamespace();

  private static final String BACKUP =
      "  backup:\n    destination:\n      type: PVC\n      size: 1Gi\n";

  static List<Integer> majors() {
    return Arrays.stream(System.getProperty("it.pg.smoke.versions", "14,16,17,18").split(","))
        .map(String::trim)
        .filter(v -> !v.isEmpty())
        .map(Integer::parseInt)
        .toList();
  }

  @Test
  void everyMajorArchivesAndBacksUpWithTheSamePgBackRest() throws Exception {
    List<Integer> majors = majors();
    if (majors.isEmpty()) {
      return;
    }
    KubernetesClient client = NAMESPACE.client();
    List<HaCluster> clusters = new ArrayList<>();
    HaCluster first =
        HaCluster.startWith(
            NAMESPACE.testBed(), NAMESPACE.name(), "bk" + majors.get(0), majors.get(0), 1, BACKUP);
    clusters.add(first);
    try {
      // The other majors beside the first (its operator, pod player and provisioner), at once.
      for (int major : majors.subList(1, majors.size())) {
        clusters.add(
            HaCluster.beside(
                first,
                "bk" + major,
                "  version: " + major + "\n  replicas: 1\n  storage:\n    size: 1Gi\n" + BACKUP));
      }
      for (HaCluster cluster : clusters) {
        cluster.awaitRunning(Duration.ofSeconds(240));
      }
      for (int i = 0; i < clusters.size(); i++) {
        HaCluster cluster = clusters.get(i);
        assertThat(cluster.queryLong("select current_setting('server_version_num')::int / 10000"))
            .isEqualTo(majors.get(i).longValue());
        assertThat(
                cluster.tryOnPrimary(
                    "create table smoke as select g as id from generate_series(1, 1000) g"))
            .isTrue();
        client
            .resource(
                client
                    .getKubernetesSerialization()
                    .unmarshal(
                        "apiVersion: postgres.example.com/v1\nkind: PostgresBackup\nmetadata:\n"
                            + "  name: "
                            + cluster.name()
                            + "-once\n  namespace: "
                            + NAMESPACE.name()
                            + "\nspec:\n  clusterName: "
                            + cluster.name()
                            + "\n",
                        PostgresBackup.class))
            .create();
      }
      for (int i = 0; i < clusters.size(); i++) {
        HaCluster cluster = clusters.get(i);
        int major = majors.get(i);
        // WAL archived: a switched file reaches the repository. A row first: pg_switch_wal() does
        // nothing on a WAL file with nothing in it yet (e.g. right after the backup's own switch).
        assertThat(cluster.tryOnPrimary("insert into smoke values (0)")).isTrue();
        long archived = cluster.queryLong("select archived_count from pg_stat_archiver");
        assertThat(cluster.tryOnPrimary("select pg_switch_wal()")).isTrue();
        await()
            .atMost(Duration.ofSeconds(90))
            .alias("PostgreSQL " + major + " archives WAL")
            .until(
                () -> cluster.queryLong("select archived_count from pg_stat_archiver") > archived);
        assertThat(cluster.queryLong("select failed_count from pg_stat_archiver")).isZero();
        PostgresBackupStatus status = awaitBackup(client, cluster.name() + "-once");
        assertThat(status.getLastBackupType()).isEqualTo("full");
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
            .as("PostgreSQL %d", major)
            .extracting(RepositoryBackup::label)
            .containsExactly(status.getLastBackupName());
        assertThat(info.output())
            .as("the stanza's system is PostgreSQL " + major)
            .contains("\"version\":\"" + major + "\"");
        System.out.printf(
            "PostgreSQL %d: archived and backed up (%s)%n", major, status.getLastBackupName());
      }
    } finally {
      for (int i = clusters.size() - 1; i >= 0; i--) {
        clusters.get(i).close();
      }
    }
  }

  private static PostgresBackupStatus awaitBackup(KubernetesClient client, String name) {
    await()
        .atMost(Duration.ofSeconds(240))
        .pollInterval(Duration.ofSeconds(1))
        .untilAsserted(
            () -> {
              PostgresBackup b =
                  client
                      .resources(PostgresBackup.class)
                      .inNamespace(NAMESPACE.name())
                      .withName(name)
                      .get();
              assertThat(b.getStatus()).isNotNull();
              assertThat(b.getStatus().getBackupCount())
                  .as(b.getStatus().getMessage())
                  .isEqualTo(1);
              assertThat(b.getStatus().getPhase())
                  .isIn(BackupPhase.Succeeded, BackupPhase.Scheduled);
            });
    return client
        .resources(PostgresBackup.class)
        .inNamespace(NAMESPACE.name())
        .withName(name)
        .get()
        .getStatus();
  }
}
