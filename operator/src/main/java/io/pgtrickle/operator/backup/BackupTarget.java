package io.pgtrickle.operator.backup;

import io.pgtrickle.operator.api.PostgresCluster;

/**
 * Whether the cluster a PostgresBackup names ({@code spec.clusterName}) can take backups at all: it
 * exists and has {@code spec.backup}, where its repository is configured. Reported as the condition
 * {@value #CONDITION}; while it is False, no backup Job is made and a schedule's CronJob is
 * suspended (each of its Jobs would fail), and it resumes once the cluster has {@code spec.backup}
 * again. Pure.
 *
 * @param configured whether backups can run
 * @param reason the condition's reason
 * @param message the condition's message, which also says why backups wait
 */
record BackupTarget(boolean configured, String reason, String message) {

  static final String CONDITION = "ClusterBackupConfigured";
  static final String HAS_BACKUP = "ClusterHasBackup";
  static final String NO_BACKUP = "ClusterHasNoBackup";
  static final String NOT_FOUND = "ClusterNotFound";

  /** The verdict for the cluster named {@code clusterName}, found as {@code cluster} (or null). */
  static BackupTarget of(String clusterName, PostgresCluster cluster) {
    if (cluster == null) {
      return new BackupTarget(
          false, NOT_FOUND, "PostgresCluster " + clusterName + " not found (spec.clusterName)");
    }
    if (cluster.getSpec().getBackup() == null) {
      return new BackupTarget(
          false,
          NO_BACKUP,
          "spec.backup of PostgresCluster "
              + clusterName
              + " is not set: its repository is configured there; no backup runs until it is");
    }
    return new BackupTarget(
        true, HAS_BACKUP, "PostgresCluster " + clusterName + " has spec.backup");
  }
}
