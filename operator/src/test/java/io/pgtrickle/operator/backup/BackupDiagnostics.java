package io.pgtrickle.operator.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.pgtrickle.operator.api.BackupPhase;
import io.pgtrickle.operator.api.PostgresBackup;
import io.pgtrickle.operator.api.PostgresBackupStatus;
import io.pgtrickle.testbed.PodDiagnostics;
import io.pgtrickle.testbed.TestNamespace;
import java.time.Duration;
import java.util.Comparator;
import org.awaitility.core.ConditionTimeoutException;

/**
 * What a backup IT says when a wait for a PostgresBackup times out: the resource's status and
 * annotations, its Jobs (conditions, counts), then every pod of the namespace with its state,
 * Events and log tails ({@link PodDiagnostics}): the Jobs' pods with pgBackRest's output, and the
 * members with their pgBackRest TLS servers' logs (what the Job's pods talk to), so that a failure
 * tells which link broke.
 */
final class BackupDiagnostics {

  private BackupDiagnostics() {}

  /**
   * Runs {@code await}; when it times out, fails with its message and the diagnostics of {@code
   * backup}.
   */
  static void onTimeout(TestNamespace namespace, String backup, Runnable await) {
    try {
      await.run();
    } catch (ConditionTimeoutException e) {
      throw new AssertionError(e.getMessage() + "\n" + describe(namespace, backup), e);
    }
  }

  /**
   * Waits until PostgresBackup {@code backup} is {@code Succeeded}, polling every second; on a
   * timeout fails with its status message and the diagnostics of {@link #describe}.
   *
   * @return its status then
   */
  static PostgresBackupStatus awaitSucceeded(
      TestNamespace namespace, String backup, Duration within) {
    var resource =
        namespace
            .client()
            .resources(PostgresBackup.class)
            .inNamespace(namespace.name())
            .withName(backup);
    onTimeout(
        namespace,
        backup,
        () ->
            await()
                .atMost(within)
                .pollInterval(Duration.ofSeconds(1))
                .untilAsserted(
                    () -> {
                      PostgresBackup b = resource.get();
                      assertThat(b.getStatus()).isNotNull();
                      assertThat(b.getStatus().getPhase())
                          .as(b.getStatus().getMessage())
                          .isEqualTo(BackupPhase.Succeeded);
                    }));
    return resource.get().getStatus();
  }

  /** The diagnostics of PostgresBackup {@code backup}, several lines. */
  static String describe(TestNamespace namespace, String backup) {
    KubernetesClient client = namespace.client();
    StringBuilder out = new StringBuilder("PostgresBackup ").append(backup).append(":\n");
    try {
      PostgresBackup resource =
          client
              .resources(PostgresBackup.class)
              .inNamespace(namespace.name())
              .withName(backup)
              .get();
      out.append("  annotations: ")
          .append(resource == null ? null : resource.getMetadata().getAnnotations())
          .append("\n  status: ")
          .append(
              resource == null
                  ? "(gone)"
                  : client.getKubernetesSerialization().asJson(resource.getStatus()))
          .append('\n');
      for (Job job :
          client
              .batch()
              .v1()
              .jobs()
              .inNamespace(namespace.name())
              .withLabel(BackupNames.BACKUP_LABEL, backup)
              .list()
              .getItems()
              .stream()
              .sorted(Comparator.comparing(j -> j.getMetadata().getName()))
              .toList()) {
        describe(job, out);
      }
    } catch (RuntimeException e) {
      out.append("  (diagnostics incomplete: ").append(e).append(")\n");
    }
    return out.append(PodDiagnostics.describe(namespace)).toString();
  }

  private static void describe(Job job, StringBuilder out) {
    var status = job.getStatus();
    out.append("  Job ")
        .append(job.getMetadata().getName())
        .append(" created ")
        .append(job.getMetadata().getCreationTimestamp());
    if (status != null) {
      out.append(" active=")
          .append(status.getActive())
          .append(" succeeded=")
          .append(status.getSucceeded())
          .append(" failed=")
          .append(status.getFailed());
      if (status.getConditions() != null) {
        status
            .getConditions()
            .forEach(
                c ->
                    out.append(" [")
                        .append(c.getType())
                        .append('=')
                        .append(c.getStatus())
                        .append(c.getReason() == null ? "" : " " + c.getReason())
                        .append(']'));
      }
    }
    out.append('\n');
  }
}
