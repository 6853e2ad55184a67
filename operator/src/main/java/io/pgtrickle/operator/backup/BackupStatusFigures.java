package io.pgtrickle.operator.backup;

import io.pgtrickle.operator.api.BackupRecord;
import io.pgtrickle.operator.api.PostgresBackupStatus;
import io.pgtrickle.operator.backup.pgbackrest.RepositoryBackup;
import java.util.List;
import java.util.Locale;

/** The figures of a PostgresBackup's status, from its backups in the repository. Pure. */
public final class BackupStatusFigures {

  private BackupStatusFigures() {}

  /** Sets lastBackup*, backupCount and backups from {@code ours} (oldest first). */
  public static void apply(PostgresBackupStatus status, List<RepositoryBackup> ours) {
    status.setBackupCount(ours.size());
    status.setBackups(ours.stream().map(BackupStatusFigures::record).toList());
    if (ours.isEmpty()) {
      status.setLastBackup(null);
      status.setLastBackupName(null);
      status.setLastBackupSize(null);
      status.setLastBackupType(null);
      return;
    }
    RepositoryBackup newest = ours.get(ours.size() - 1);
    status.setLastBackup(newest.stopped().toString());
    status.setLastBackupName(newest.label());
    status.setLastBackupSize(humanBytes(newest.databaseBytes()));
    status.setLastBackupType(newest.type());
  }

  static BackupRecord record(RepositoryBackup b) {
    BackupRecord r = new BackupRecord();
    r.setName(b.label());
    r.setType(b.type());
    r.setStarted(b.started().toString());
    r.setCompleted(b.stopped().toString());
    r.setSize(humanBytes(b.databaseBytes()));
    r.setRepositoryBytes(b.repositoryBytes());
    r.setKeepForever("true".equals(b.annotation(BackupPolicy.KEEP_ANNOTATION)) ? true : null);
    r.setWalStart(b.walStart());
    r.setWalStop(b.walStop());
    r.setLsnStart(b.lsnStart());
    r.setLsnStop(b.lsnStop());
    return r;
  }

  /** Bytes as the ticket shows sizes: {@code 512B}, {@code 22.0MB}, {@code 1.2GB} (1024-based). */
  public static String humanBytes(long bytes) {
    if (bytes < 1024) {
      return bytes + "B";
    }
    String[] units = {"KB", "MB", "GB", "TB", "PB"};
    double value = bytes;
    int unit = -1;
    while (value >= 1024 && unit < units.length - 1) {
      value /= 1024;
      unit++;
    }
    return String.format(Locale.ROOT, "%.1f%s", value, units[unit]);
  }
}
