package io.pgtrickle.operator.backup;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.CronJob;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.pgtrickle.operator.api.PostgresBackup;
import java.util.Comparator;
import java.util.List;

/**
 * The client side of a PostgresBackup's Jobs and CronJob: creating, applying (server-side, the
 * reconciler's field manager) and reading them, and the pods of a Job. The objects themselves come
 * from {@link io.pgtrickle.operator.backup.spec.BackupJob}.
 */
final class BackupJobs {

  /** The label the Job controller gives a Job's pods. */
  static final String JOB_NAME_LABEL = "batch.kubernetes.io/job-name";

  private BackupJobs() {}

  /** Jobs oldest first (by creation time, then name). */
  static List<Job> oldestFirst(List<Job> jobs) {
    return jobs.stream()
        .sorted(
            Comparator.comparing((Job j) -> String.valueOf(j.getMetadata().getCreationTimestamp()))
                .thenComparing(j -> j.getMetadata().getName()))
        .toList();
  }

  /**
   * Creates the Job; one that exists already (the same trigger, seen again by a reconcile whose
   * status write was refused, or after a restart) is left as it is: a Job's template cannot change.
   *
   * @return the Job created, or null when it existed
   */
  static Job create(KubernetesClient client, Job job) {
    try {
      return client.resource(job).create();
    } catch (KubernetesClientException e) {
      if (e.getCode() != 409) {
        throw e;
      }
      return null;
    }
  }

  /** Applies the CronJob (server-side, owned by the PostgresBackup). */
  static void apply(KubernetesClient client, CronJob cronJob) {
    serverSideApply(client, cronJob);
  }

  /** Deletes the CronJob of a PostgresBackup that no longer has a schedule (its Jobs go too). */
  static void deleteCronJob(KubernetesClient client, String namespace, String name) {
    client.batch().v1().cronjobs().inNamespace(namespace).withName(name).delete();
  }

  static CronJob cronJob(KubernetesClient client, String namespace, String name) {
    return client.batch().v1().cronjobs().inNamespace(namespace).withName(name).get();
  }

  /** A Job's pods (empty once they were cleaned up). */
  static List<Pod> pods(KubernetesClient client, Job job) {
    return client
        .pods()
        .inNamespace(job.getMetadata().getNamespace())
        .withLabel(JOB_NAME_LABEL, job.getMetadata().getName())
        .list()
        .getItems();
  }

  /** The PostgresBackup whose Jobs carry {@code label}, for the event source. */
  static String owner(HasMetadata job) {
    return job.getMetadata().getLabels() == null
        ? null
        : job.getMetadata().getLabels().get(BackupNames.BACKUP_LABEL);
  }

  private static <T extends HasMetadata> void serverSideApply(KubernetesClient client, T object) {
    client
        .resource(object)
        .fieldManager(PostgresBackupReconciler.NAME)
        .forceConflicts()
        .serverSideApply();
  }

  static boolean ownedBy(Job job, PostgresBackup backup) {
    return backup.getMetadata().getName().equals(owner(job))
        && backup.getMetadata().getNamespace().equals(job.getMetadata().getNamespace());
  }
}
