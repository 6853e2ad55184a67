package io.pgtrickle.operator.backup;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.batch.v1.CronJob;
import io.fabric8.kubernetes.api.model.batch.v1.CronJobBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.backup.spec.BackupJob;
import org.junit.jupiter.api.Test;

class BackupTargetTest {

  private static final KubernetesSerialization YAML = new KubernetesSerialization();

  private static PostgresCluster cluster(String backup) {
    return YAML.unmarshal(
        "apiVersion: postgres.example.com/v1\nkind: PostgresCluster\nmetadata:\n  name: c\n"
            + "  namespace: ns\nspec:\n  version: 16\n  replicas: 1\n  storage:\n    size: 1Gi\n"
            + "  backup: "
            + backup
            + "\n",
        PostgresCluster.class);
  }

  @Test
  void aClusterWithoutSpecBackupIsNamedWithTheField() {
    BackupTarget t = BackupTarget.of("c", cluster("null"));
    assertThat(t.configured()).isFalse();
    assertThat(t.reason()).isEqualTo("ClusterHasNoBackup");
    assertThat(t.message())
        .isEqualTo(
            "spec.backup of PostgresCluster c is not set: its repository is configured there;"
                + " no backup runs until it is");
  }

  @Test
  void aMissingClusterIsNamedWithSpecClusterName() {
    BackupTarget t = BackupTarget.of("gone", null);
    assertThat(t.configured()).isFalse();
    assertThat(t.reason()).isEqualTo("ClusterNotFound");
    assertThat(t.message()).isEqualTo("PostgresCluster gone not found (spec.clusterName)");
  }

  @Test
  void aClusterWithSpecBackupTakesBackups() {
    BackupTarget t = BackupTarget.of("c", cluster("{}"));
    assertThat(t.configured()).isTrue();
    assertThat(t.reason()).isEqualTo("ClusterHasBackup");
  }

  @Test
  void aSuspendedCronJobIsTheSameObjectWithoutWhatTheServerOwns() {
    CronJob existing =
        new CronJobBuilder()
            .withNewMetadata()
            .withName("b")
            .withNamespace("ns")
            .withResourceVersion("42")
            .withUid("u")
            .withGeneration(3L)
            .withCreationTimestamp("2026-12-04T09:00:00Z")
            .addNewManagedField()
            .withManager("postgresbackup")
            .endManagedField()
            .addToLabels("l", "v")
            .endMetadata()
            .withNewSpec()
            .withSchedule("0 2 * * *")
            .withNewJobTemplate()
            .endJobTemplate()
            .endSpec()
            .withNewStatus()
            .withLastScheduleTime("2026-12-04T02:00:00Z")
            .endStatus()
            .build();
    assertThat(BackupJob.isSuspended(existing)).isFalse();
    CronJob suspended = BackupJob.suspended(existing);
    assertThat(BackupJob.isSuspended(suspended)).isTrue();
    assertThat(suspended.getSpec().getSchedule()).isEqualTo("0 2 * * *");
    assertThat(suspended.getMetadata().getLabels()).containsEntry("l", "v");
    assertThat(suspended.getMetadata().getResourceVersion()).isNull();
    assertThat(suspended.getMetadata().getUid()).isNull();
    assertThat(suspended.getMetadata().getGeneration()).isNull();
    assertThat(suspended.getMetadata().getCreationTimestamp()).isNull();
    assertThat(suspended.getMetadata().getManagedFields()).isNullOrEmpty();
    assertThat(suspended.getStatus()).isNull();
    assertThat(existing.getSpec().getSuspend()).as("the informer's copy is not changed").isNull();
  }
}
