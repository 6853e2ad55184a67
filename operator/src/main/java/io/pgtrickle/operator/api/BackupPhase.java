package io.pgtrickle.operator.api;

/** Where a {@link PostgresBackup} stands. */
public enum BackupPhase {
  /** Waiting for its cluster (missing, without spec.backup, or without a primary yet). */
  Pending,
  /** A schedule is in place; nothing is running now. */
  Scheduled,
  /** A backup Job is running. */
  Running,
  /** The one-off backup completed. */
  Succeeded,
  /** The one-off backup failed after its retries, or the spec cannot work (see the conditions). */
  Failed
}
