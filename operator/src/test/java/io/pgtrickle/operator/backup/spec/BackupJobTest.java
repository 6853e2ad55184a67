package io.pgtrickle.operator.backup.spec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.batch.v1.CronJob;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.pgtrickle.operator.api.PostgresBackup;
import io.pgtrickle.operator.api.PostgresCluster;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class BackupJobTest {

  private static final KubernetesSerialization YAML = new KubernetesSerialization();
  private static final String IMAGE = "ghcr.io/pg-trickle/postgres:16";

  private static PostgresCluster cluster(int replicas, String backup) {
    String yaml =
        "apiVersion: postgres.example.com/v1\nkind: PostgresCluster\nmetadata:\n  name: c\n"
            + "  namespace: ns\n  uid: cu\nspec:\n  version: 16\n  replicas: "
            + replicas
            + "\n  storage:\n    size: 1Gi\n  backup: "
            + backup
            + "\n";
    return YAML.unmarshal(yaml, PostgresCluster.class);
  }

  private static PostgresBackup backup(String schedule) {
    String yaml =
        "apiVersion: postgres.example.com/v1\nkind: PostgresBackup\nmetadata:\n  name: nightly\n"
            + "  namespace: ns\n  uid: bu\nspec:\n  clusterName: c\n"
            + (schedule == null ? "" : "  schedule: \"" + schedule + "\"\n");
    return YAML.unmarshal(yaml, PostgresBackup.class);
  }

  private static final String S3 =
      "{destination: {type: S3, bucket: b, region: us-east-1, endpoint: 'https://s3.local:9000',"
          + " credentialsSecret: s3-keys, caSecret: s3-ca}, encryption: {enabled: true, keySecret:"
          + " cipher}}";

  @Test
  void theJobRetriesThreeTimesIsCleanedUpAndIsOwnedByThePostgresBackup() {
    PostgresCluster c = cluster(3, S3);
    BackupJob.Plan plan =
        new BackupJob.Plan("full", false, BackupJob.members(c, "c-1", "c-1"), false);
    Job job = BackupJob.job(backup(null), c, IMAGE, "nightly-1", plan, 600);
    assertThat(job.getMetadata().getName()).isEqualTo("nightly-1");
    assertThat(job.getMetadata().getOwnerReferences())
        .singleElement()
        .satisfies(
            o -> {
              assertThat(o.getKind()).isEqualTo("PostgresBackup");
              assertThat(o.getUid()).isEqualTo("bu");
              assertThat(o.getController()).isTrue();
            });
    assertThat(job.getMetadata().getLabels())
        .containsEntry("postgres.example.com/backup", "nightly")
        .containsEntry("postgres.example.com/cluster", "c");
    assertThat(job.getMetadata().getAnnotations())
        .containsEntry(BackupJob.TYPE_ANNOTATION, "full")
        .containsEntry(BackupJob.MEMBER_ANNOTATION, "c-1");
    assertThat(job.getSpec().getBackoffLimit()).isEqualTo(3);
    assertThat(job.getSpec().getTtlSecondsAfterFinished()).isEqualTo(600);
    assertThat(job.getSpec().getActiveDeadlineSeconds()).isEqualTo(6 * 3600L);
    PodSpec pod = job.getSpec().getTemplate().getSpec();
    assertThat(pod.getRestartPolicy()).isEqualTo("Never");
    // The pods carry neither the cluster's label nor managed-by: they are not members.
    assertThat(job.getSpec().getTemplate().getMetadata().getLabels())
        .containsEntry("postgres.example.com/backup", "nightly")
        .containsEntry("app.kubernetes.io/component", "backup")
        .doesNotContainKeys("postgres.example.com/cluster", "app.kubernetes.io/managed-by");
  }

  @Test
  void thePodRunsPgbackrestWithRestrictedPodSecurity() {
    PostgresCluster c = cluster(1, S3);
    BackupJob.Plan plan =
        new BackupJob.Plan("incr", true, BackupJob.members(c, "c-0", "c-0"), false);
    PodSpec pod =
        BackupJob.job(backup(null), c, IMAGE, "nightly-2", plan, 60)
            .getSpec()
            .getTemplate()
            .getSpec();
    assertThat(pod.getAutomountServiceAccountToken()).isFalse();
    assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
    assertThat(pod.getSecurityContext().getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
    Container container = pod.getContainers().get(0);
    assertThat(container.getImage()).isEqualTo(IMAGE);
    assertThat(container.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
    assertThat(container.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
    assertThat(container.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
    assertThat(container.getTerminationMessagePolicy()).isEqualTo("FallbackToLogsOnError");
    assertThat(container.getCommand()).startsWith("sh", "-c");
    assertThat(container.getCommand().get(2)).isEqualTo(BackupScript.TEXT);
    assertThat(container.getArgs())
        .containsExactly(
            "--type=incr",
            "--annotation=postgres.example.com/backup=nightly",
            "--annotation=postgres.example.com/keep-forever=true");
    assertThat(container.getVolumeMounts())
        .extracting(m -> m.getMountPath())
        .contains("/etc/pgbackrest", "/tmp");
  }

  @Test
  void secretsComeFromSecretsAndTheMembersAreReachedOverTls() {
    PostgresCluster c = cluster(3, S3);
    BackupJob.Plan plan =
        new BackupJob.Plan("full", false, BackupJob.members(c, "c-2", "c-0"), true);
    Container container =
        BackupJob.job(backup(null), c, IMAGE, "nightly-1", plan, 60)
            .getSpec()
            .getTemplate()
            .getSpec()
            .getContainers()
            .get(0);
    Map<String, EnvVar> env =
        container.getEnv().stream().collect(Collectors.toMap(EnvVar::getName, e -> e));
    // The replica first, the primary second, then the rest: pgBackRest finds the roles itself.
    assertThat(env.get("PGBACKREST_PG1_HOST").getValue()).isEqualTo("c-2.c-pods.ns.svc");
    assertThat(env.get("PGBACKREST_PG2_HOST").getValue()).isEqualTo("c-0.c-pods.ns.svc");
    assertThat(env.get("PGBACKREST_PG3_HOST").getValue()).isEqualTo("c-1.c-pods.ns.svc");
    assertThat(env.get("PGBACKREST_PG1_HOST_TYPE").getValue()).isEqualTo("tls");
    assertThat(env.get("PGBACKREST_PG1_HOST_PORT").getValue()).isEqualTo("8432");
    assertThat(env.get("PGBACKREST_PG2_HOST_CERT_FILE").getValue())
        .isEqualTo("/etc/pgbackrest/tls/tls.crt");
    assertThat(env).doesNotContainKey("PGBACKREST_PG4_HOST");
    // The script waits for the servers of the replica and of the primary.
    assertThat(env.get("PGTRICKLE_BACKUP_SERVERS").getValue())
        .isEqualTo("c-2.c-pods.ns.svc c-0.c-pods.ns.svc");
    assertThat(container.getArgs()).contains("--backup-standby=y");
    // Keys and the passphrase only as Secret references, never as values.
    for (String secret :
        List.of(
            "PGBACKREST_REPO1_S3_KEY",
            "PGBACKREST_REPO1_S3_KEY_SECRET",
            "PGBACKREST_REPO1_CIPHER_PASS")) {
      assertThat(env.get(secret).getValue()).as(secret).isNull();
      assertThat(env.get(secret).getValueFrom().getSecretKeyRef()).as(secret).isNotNull();
    }
    // The client certificate and the repository's CA in /etc/pgbackrest.
    var config =
        BackupJob.job(backup(null), c, IMAGE, "nightly-1", plan, 60)
            .getSpec()
            .getTemplate()
            .getSpec()
            .getVolumes()
            .stream()
            .filter(v -> v.getName().equals(PgBackRest.VOLUME))
            .findFirst()
            .orElseThrow();
    assertThat(config.getProjected().getSources())
        .filteredOn(s -> s.getSecret() != null)
        .extracting(s -> s.getSecret().getName())
        .contains("c-pgbackrest-tls", "s3-ca");
  }

  @Test
  void aVolumeRepositoryIsMountedInTheJobsPod() {
    PostgresCluster c = cluster(1, "{destination: {type: PVC, size: 5Gi}}");
    BackupJob.Plan plan = new BackupJob.Plan("full", false, List.of("c-0"), false);
    PodSpec pod =
        BackupJob.job(backup(null), c, IMAGE, "n-1", plan, 60).getSpec().getTemplate().getSpec();
    assertThat(pod.getVolumes())
        .filteredOn(v -> v.getPersistentVolumeClaim() != null)
        .extracting(v -> v.getPersistentVolumeClaim().getClaimName())
        .containsExactly("c-pgbackrest-repo");
    assertThat(pod.getContainers().get(0).getVolumeMounts())
        .anySatisfy(m -> assertThat(m.getMountPath()).isEqualTo("/pgbackrest-repo"));
  }

  @Test
  void theCronJobRunsTheSameJobOnTheScheduleNeverTwoAtOnce() {
    PostgresCluster c = cluster(1, S3);
    BackupJob.Plan plan = new BackupJob.Plan("incr", false, List.of("c-0"), false);
    CronJob cron = BackupJob.cronJob(backup("0 2 * * *"), c, IMAGE, " 0 2 * * * ", plan, 600);
    assertThat(cron.getMetadata().getName()).isEqualTo("nightly");
    assertThat(cron.getSpec().getSchedule()).isEqualTo("0 2 * * *");
    assertThat(cron.getSpec().getTimeZone()).isEqualTo("UTC");
    assertThat(cron.getSpec().getConcurrencyPolicy()).isEqualTo("Forbid");
    assertThat(cron.getSpec().getSuccessfulJobsHistoryLimit()).isEqualTo(1);
    assertThat(cron.getSpec().getFailedJobsHistoryLimit()).isEqualTo(1);
    assertThat(cron.getSpec().getJobTemplate().getSpec().getBackoffLimit()).isEqualTo(3);
    assertThat(cron.getSpec().getJobTemplate().getSpec().getTtlSecondsAfterFinished())
        .isEqualTo(600);
    assertThat(cron.getSpec().getJobTemplate().getMetadata().getLabels())
        .containsEntry("postgres.example.com/backup", "nightly");
    assertThat(BackupJob.type(cron)).isEqualTo("incr");
    assertThat(BackupJob.type(null)).isNull();
  }

  @Test
  void aPlanIsFullOrIncrementalAndNamesAMember() {
    assertThatThrownBy(() -> new BackupJob.Plan("diff", false, List.of("c-0"), false))
        .hasMessageContaining("full or incr");
    assertThatThrownBy(() -> new BackupJob.Plan("full", false, List.of(), false))
        .hasMessageContaining("at least one member");
    assertThat(BackupJob.members(cluster(3, "{}"), "c-0", "c-0"))
        .containsExactly("c-0", "c-1", "c-2");
    assertThat(BackupJob.members(cluster(3, "{}"), "c-1", "c-2"))
        .containsExactly("c-1", "c-2", "c-0");
  }
}
