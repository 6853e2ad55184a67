package io.pgtrickle.operator.backup.spec;

import io.pgtrickle.operator.api.BackupSpec;
import io.pgtrickle.operator.api.PostgresBackup;
import io.pgtrickle.operator.api.PostgresBackupSpec;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.api.RetentionSpec;
import io.pgtrickle.operator.postgres.ClusterNames;
import java.util.Map;

/**
 * {@code spec.backup.schedule} (seed 003's form) as a PostgresBackup {@code NAME-schedule} owned by
 * the cluster, with the cluster's {@code spec.backup.retention}: the same backups, retention and
 * status as any PostgresBackup ({@code kubectl get postgresbackup}). Pure.
 */
public final class ScheduledBackup {

  private ScheduledBackup() {}

  /** Whether the cluster asks for scheduled backups. */
  public static boolean wanted(PostgresCluster cluster) {
    BackupSpec backup = cluster.getSpec().getBackup();
    return backup != null && backup.getSchedule() != null;
  }

  public static PostgresBackup desired(PostgresCluster cluster) {
    BackupSpec backup = cluster.getSpec().getBackup();
    PostgresBackup pb = new PostgresBackup();
    pb.getMetadata().setName(ClusterNames.scheduledBackup(cluster));
    pb.getMetadata().setNamespace(cluster.getMetadata().getNamespace());
    pb.getMetadata().setLabels(Map.copyOf(ClusterNames.labels(cluster, "backup")));
    PostgresBackupSpec spec = new PostgresBackupSpec();
    spec.setClusterName(cluster.getMetadata().getName());
    spec.setSchedule(backup.getSchedule());
    RetentionSpec retention = new RetentionSpec();
    retention.setCount(RetentionSpec.count(backup.getRetention()));
    retention.setDays(RetentionSpec.days(backup.getRetention()));
    spec.setRetention(retention);
    pb.setSpec(spec);
    return pb;
  }
}
