package io.pgtrickle.operator.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.CronJob;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.pgtrickle.operator.api.BackupPhase;
import io.pgtrickle.operator.api.PostgresBackup;
import io.pgtrickle.operator.api.PostgresBackupStatus;
import io.pgtrickle.operator.backup.spec.BackupJob;
import io.pgtrickle.operator.testbed.HaCluster;
import io.pgtrickle.operator.testbed.OperatorRunner;
import io.pgtrickle.testbed.S3Server;
import io.pgtrickle.testbed.TestNamespace;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Backups as Kubernetes Jobs on the test bed's real controllers (Job, CronJob, TTL-after-finished,
 * garbage collector) with pgBackRest run for real in the Jobs' pods against a real cluster's
 * members (their TLS servers) and a local S3 server: a schedule becomes a CronJob, a Job made from
 * it as {@code kubectl create job --from=cronjob/...} does takes a backup the PostgresBackup
 * reports, and is cleaned up after {@code ttlSecondsAfterFinished}; a backup that cannot succeed
 * (wrong S3 secret key) is tried 1 + 3 times and ends in a failed condition carrying pgBackRest's
 * own error.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BackupJobsIT {

  @RegisterExtension static final TestNamespace NAMESPACE = new TestNamespace();

  private static final String BUCKET = "backups";

  private static S3Server s3;
  private static HaCluster cluster;
  private static KubernetesClient client;

  @BeforeAll
  static void start() {
    client = NAMESPACE.client();
    s3 = S3Server.start(NAMESPACE.testBed());
    s3.createBucket(BUCKET);
    credentials(s3.secretKey());
    client
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName("s3-ca")
                .withNamespace(NAMESPACE.name())
                .endMetadata()
                .withStringData(Map.of("ca.crt", s3.caPem()))
                .build())
        .create();
    cluster =
        HaCluster.startWith(
            NAMESPACE.testBed(),
            NAMESPACE.name(),
            "jb",
            HaCluster.testedMajor(),
            1,
            "  backup:\n"
                + "    destination:\n"
                + "      type: S3\n"
                + "      endpoint: "
                + s3.endpoint()
                + "\n"
                + "      bucket: "
                + BUCKET
                + "\n"
                + "      region: us-east-1\n"
                + "      credentialsSecret: s3-credentials\n"
                + "      caSecret: s3-ca\n");
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
  void aScheduleIsACronJobWhoseJobTakesTheBackupAndIsCleanedUp() {
    apply("nightly", "0 2 * * *");
    CronJob cron =
        await()
            .atMost(Duration.ofSeconds(60))
            .until(
                () ->
                    client
                        .batch()
                        .v1()
                        .cronjobs()
                        .inNamespace(NAMESPACE.name())
                        .withName("nightly")
                        .get(),
                c -> c != null);
    assertThat(cron.getSpec().getSchedule()).isEqualTo("0 2 * * *");
    assertThat(cron.getSpec().getTimeZone()).isEqualTo("UTC");
    assertThat(cron.getSpec().getConcurrencyPolicy()).isEqualTo("Forbid");
    assertThat(cron.getMetadata().getOwnerReferences())
        .singleElement()
        .satisfies(o -> assertThat(o.getName()).isEqualTo("nightly"));
    assertThat(BackupJob.type(cron)).isEqualTo("full");

    // Time fast-forwarded as `kubectl create job --from=cronjob/nightly` does: the template's
    // metadata and spec, owned by the CronJob.
    ManualJob.create(client, cron, "nightly-manual", Map.of());

    PostgresBackupStatus status =
        await()
            .atMost(Duration.ofSeconds(180))
            .pollInterval(Duration.ofSeconds(1))
            .until(
                () -> status("nightly"), s -> s != null && "nightly-manual".equals(s.getLastJob()));
    assertThat(status.getBackupCount()).as(status.getMessage()).isEqualTo(1);
    assertThat(status.getLastBackupType()).isEqualTo("full");
    assertThat(status.getLastBackupMember()).isEqualTo(cluster.primaryPod());
    assertThat(status.getPhase()).isEqualTo(BackupPhase.Scheduled);
    assertThat(condition(status).getStatus()).isEqualTo("True");
    assertThat(finishedJob("nightly-manual").getStatus().getSucceeded()).isEqualTo(1);
    // The next one builds on it.
    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () ->
                BackupJob.type(
                    client
                        .batch()
                        .v1()
                        .cronjobs()
                        .inNamespace(NAMESPACE.name())
                        .withName("nightly")
                        .get()),
            "incr"::equals);

    // ttlSecondsAfterFinished (20 s in the tests, OperatorRunner): the TTL controller deletes the
    // Job, the garbage collector its pod.
    await()
        .atMost(Duration.ofSeconds(OperatorRunner.BACKUP_JOB_TTL_SECONDS + 90))
        .pollInterval(Duration.ofSeconds(2))
        .untilAsserted(
            () -> {
              assertThat(job("nightly-manual")).isNull();
              assertThat(
                      client
                          .pods()
                          .inNamespace(NAMESPACE.name())
                          .withLabel(BackupJobs.JOB_NAME_LABEL, "nightly-manual")
                          .list()
                          .getItems())
                  .isEmpty();
            });
  }

  @Test
  @Order(2)
  void aBackupThatCannotSucceedIsRetriedThreeTimesAndSaysWhy() {
    // New pods get a wrong secret key (the members keep the one they started with).
    credentials("not-" + s3.secretKey());
    try {
      apply("broken", null);
      Job failed =
          await()
              .atMost(Duration.ofSeconds(300))
              .pollInterval(Duration.ofSeconds(1))
              .until(
                  () -> job("broken-1"),
                  j ->
                      j != null
                          && j.getStatus() != null
                          && j.getStatus().getFailed() != null
                          && j.getStatus().getFailed() == 1 + BackupJob.BACKOFF_LIMIT
                          && j.getStatus().getConditions().stream()
                              .anyMatch(c -> "Failed".equals(c.getType())));
      assertThat(failed.getStatus().getSucceeded()).isIn(null, 0);
      PostgresBackupStatus status =
          await()
              .atMost(Duration.ofSeconds(60))
              .until(() -> status("broken"), s -> s != null && s.getPhase() == BackupPhase.Failed);
      Condition condition = condition(status);
      assertThat(condition.getStatus()).isEqualTo("False");
      assertThat(condition.getReason()).isEqualTo("BackoffLimitExceeded");
      // pgBackRest's own error from the last pod's log, not a generic string.
      assertThat(condition.getMessage())
          .contains("backup Job broken-1 failed")
          .contains("after 4 attempts")
          .containsPattern("pod broken-1-[a-z0-9]{5} exited [1-9][0-9]*: .*ERROR: \\[[0-9]+\\]");
      assertThat(status.getBackupCount()).isIn(null, 0);
    } finally {
      credentials(s3.secretKey());
    }
  }

  private static Condition condition(PostgresBackupStatus status) {
    return status.getConditions().stream()
        .filter(c -> "LastBackupSucceeded".equals(c.getType()))
        .findFirst()
        .orElseThrow();
  }

  private static Job finishedJob(String name) {
    Job job = job(name);
    assertThat(job).as("Job " + name + " (before its TTL)").isNotNull();
    return job;
  }

  private static Job job(String name) {
    return client.batch().v1().jobs().inNamespace(NAMESPACE.name()).withName(name).get();
  }

  private static void credentials(String secretKey) {
    client
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName("s3-credentials")
                .withNamespace(NAMESPACE.name())
                .endMetadata()
                .withStringData(
                    Map.of("AWS_ACCESS_KEY_ID", s3.accessKey(), "AWS_SECRET_ACCESS_KEY", secretKey))
                .build())
        .createOr(io.fabric8.kubernetes.client.dsl.NonDeletingOperation::update);
  }

  private static void apply(String name, String schedule) {
    String yaml =
        "apiVersion: postgres.example.com/v1\nkind: PostgresBackup\nmetadata:\n  name: "
            + name
            + "\n  namespace: "
            + NAMESPACE.name()
            + "\nspec:\n  clusterName: jb\n"
            + (schedule == null ? "" : "  schedule: \"" + schedule + "\"\n");
    client
        .resource(client.getKubernetesSerialization().unmarshal(yaml, PostgresBackup.class))
        .create();
  }

  private static PostgresBackupStatus status(String name) {
    PostgresBackup b =
        client.resources(PostgresBackup.class).inNamespace(NAMESPACE.name()).withName(name).get();
    return b == null ? null : b.getStatus();
  }
}
