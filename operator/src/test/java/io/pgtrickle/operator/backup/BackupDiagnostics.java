package io.pgtrickle.operator.backup;

import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.pgtrickle.operator.api.PostgresBackup;
import io.pgtrickle.testbed.BackupPodLogs;
import io.pgtrickle.testbed.TestNamespace;
import java.util.Comparator;
import org.awaitility.core.ConditionTimeoutException;

/**
 * What a backup IT says when a wait for a PostgresBackup times out: the resource's status and
 * annotations, its Jobs (conditions, counts) and their pods (phase, container state, exit code,
 * termination message) and the last lines of each backup pod's log as the test bed keeps it ({@link
 * BackupPodLogs}), so that a failure tells which link broke.
 */
final class BackupDiagnostics {

  private static final int LOG_LINES = 15;

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
        for (Pod pod : BackupJobs.pods(client, job)) {
          describe(pod, out);
          String tail =
              BackupPodLogs.tail(
                  namespace.testBed(), namespace.name(), pod.getMetadata().getName(), LOG_LINES);
          out.append("      log: ").append(tail.replace("\n", "\n        ")).append('\n');
        }
      }
    } catch (RuntimeException e) {
      out.append("  (diagnostics incomplete: ").append(e).append(")\n");
    }
    return out.toString();
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

  private static void describe(Pod pod, StringBuilder out) {
    out.append("    pod ")
        .append(pod.getMetadata().getName())
        .append(" phase=")
        .append(pod.getStatus() == null ? null : pod.getStatus().getPhase())
        .append(" ip=")
        .append(pod.getStatus() == null ? null : pod.getStatus().getPodIP());
    if (pod.getStatus() != null && pod.getStatus().getContainerStatuses() != null) {
      for (ContainerStatus c : pod.getStatus().getContainerStatuses()) {
        var state = c.getState();
        out.append(" container ").append(c.getName()).append(": ");
        if (state == null) {
          out.append("no state");
        } else if (state.getTerminated() != null) {
          out.append("terminated exit=")
              .append(state.getTerminated().getExitCode())
              .append(" reason=")
              .append(state.getTerminated().getReason());
          if (state.getTerminated().getMessage() != null) {
            out.append(" message=").append(JobOutcome.tail(state.getTerminated().getMessage()));
          }
        } else if (state.getWaiting() != null) {
          out.append("waiting ")
              .append(state.getWaiting().getReason())
              .append(": ")
              .append(state.getWaiting().getMessage());
        } else {
          out.append("running");
        }
      }
    }
    out.append('\n');
  }
}
