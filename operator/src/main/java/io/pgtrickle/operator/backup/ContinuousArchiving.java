package io.pgtrickle.operator.backup;

import io.fabric8.kubernetes.api.model.Condition;
import io.pgtrickle.operator.api.BackupDestination;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.status.Conditions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;

/**
 * The cluster's {@code ContinuousArchiving} condition (with {@code spec.backup}): whether the
 * primary's {@code archive_command} (pgBackRest's archive-push) reaches the repository, from the
 * primary's {@code pg_stat_archiver}. {@code False}, reason {@code ArchiveFailing}, when the last
 * attempt failed: WAL files then wait in {@code pg_wal} (writes go on, the disk fills) and nothing
 * new can be restored to a point in time. {@code True} when the last attempt succeeded, or none
 * failed yet.
 */
public final class ContinuousArchiving {

  public static final String TYPE = "ContinuousArchiving";
  public static final String FAILING = "ArchiveFailing";
  public static final String ARCHIVING = "WalArchived";
  public static final String NOTHING_YET = "NoWalFileDone";

  private static final String QUERY =
      "select archived_count, last_archived_wal, last_archived_time, failed_count,"
          + " last_failed_wal, last_failed_time from pg_stat_archiver";

  private ContinuousArchiving() {}

  /**
   * One reading of {@code pg_stat_archiver}: counts since its last reset, the newest WAL file
   * archived and the newest that failed (null when none).
   */
  public record Archiver(
      long archivedCount,
      String lastArchivedWal,
      Instant lastArchivedTime,
      long failedCount,
      String lastFailedWal,
      Instant lastFailedTime) {

    /** Whether the newest attempt failed. */
    public boolean failing() {
      return lastFailedTime != null
          && (lastArchivedTime == null || lastFailedTime.isAfter(lastArchivedTime));
    }
  }

  /** Reads {@code pg_stat_archiver} over {@code connection} (the primary's). */
  public static Archiver read(Connection connection) throws SQLException {
    try (Statement s = connection.createStatement();
        ResultSet rs = s.executeQuery(QUERY)) {
      rs.next();
      return new Archiver(
          rs.getLong(1),
          rs.getString(2),
          instant(rs.getTimestamp(3)),
          rs.getLong(4),
          rs.getString(5),
          instant(rs.getTimestamp(6)));
    }
  }

  /** {@code conditions} with {@code ContinuousArchiving} set from {@code archiver}. Pure. */
  public static List<Condition> with(
      List<Condition> conditions,
      PostgresCluster cluster,
      Archiver archiver,
      long generation,
      Instant now) {
    String repository = repository(cluster);
    if (archiver.failing()) {
      return Conditions.with(
          conditions,
          TYPE,
          false,
          FAILING,
          "archive_command (pgBackRest archive-push to "
              + repository
              + ") failed for WAL file "
              + archiver.lastFailedWal()
              + " at "
              + archiver.lastFailedTime()
              + " ("
              + archiver.failedCount()
              + " failed attempts; "
              + (archiver.lastArchivedWal() == null
                  ? "none archived yet"
                  : "last archived "
                      + archiver.lastArchivedWal()
                      + " at "
                      + archiver.lastArchivedTime())
              + "). Writes go on; WAL files wait in pg_wal until the repository takes them."
              + " pgBackRest's error is in the primary's PostgreSQL log",
          generation,
          now);
    }
    if (archiver.lastArchivedWal() == null) {
      return Conditions.with(
          conditions,
          TYPE,
          true,
          NOTHING_YET,
          "No WAL file archived to " + repository + " yet, and none failed",
          generation,
          now);
    }
    return Conditions.with(
        conditions,
        TYPE,
        true,
        ARCHIVING,
        "WAL archived to " + repository + "; last " + archiver.lastArchivedWal(),
        generation,
        now);
  }

  /**
   * Where the repository is, as the user wrote it: {@code s3://BUCKET (REGION)}, {@code
   * gs://BUCKET}, {@code azure://CONTAINER} (each with {@code at ENDPOINT} when given) or the
   * claim.
   */
  static String repository(PostgresCluster cluster) {
    BackupDestination d = cluster.getSpec().getBackup().getDestination();
    if (d != null && d.getBucket() != null) {
      String scheme =
          switch (d.getType()) {
            case GCS -> "gs://";
            case Azure -> "azure://";
            default -> "s3://";
          };
      return scheme
          + d.getBucket()
          + (d.getEndpoint() != null ? " at " + d.getEndpoint() : "")
          + (d.getRegion() != null ? " (" + d.getRegion() + ")" : "");
    }
    return "the volume " + io.pgtrickle.operator.backup.spec.PgBackRest.repositoryClaim(cluster);
  }

  private static Instant instant(Timestamp t) {
    return t == null ? null : t.toInstant();
  }
}
