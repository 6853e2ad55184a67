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
import java.util.Optional;

/**
 * The cluster's {@code ContinuousArchiving} condition (with {@code spec.backup}): whether the
 * primary's {@code archive_command} (pgBackRest's archive-push) reaches the repository, from the
 * primary's {@code pg_stat_archiver}. {@code False}, reason {@code ArchiveFailing}, when the last
 * attempt failed: WAL files then wait in {@code pg_wal} (writes go on, the disk fills) and nothing
 * new can be restored to a point in time. {@code False}, reason {@value #STALLED}, when a WAL file
 * has waited longer than {@link #STALL_AFTER} and nothing was archived for as long: an archive-push
 * that hangs (a repository that accepts connections and never answers) fails no attempt, so {@code
 * pg_stat_archiver} alone showed the last success for minutes. {@code True} when the last attempt
 * succeeded, or none failed yet. {@code False}, reason {@value #GAP}, when archiving works but the
 * archive lacks WAL a restore from the newest backup to the latest point needs ({@link
 * ArchiveCoverage}, looked at by {@link ArchiveCoverageProbe}).
 */
public final class ContinuousArchiving {

  public static final String TYPE = "ContinuousArchiving";
  public static final String FAILING = "ArchiveFailing";
  public static final String ARCHIVING = "WalArchived";
  public static final String NOTHING_YET = "NoWalFileDone";
  public static final String STALLED = "ArchiveStalled";
  public static final String GAP = "ArchiveGap";

  /**
   * How long the oldest WAL file ready for archiving may wait, with nothing archived meanwhile,
   * before archiving counts as stalled: one segment takes seconds to push, and a backlog being
   * pushed archives a file at least this often.
   */
  public static final java.time.Duration STALL_AFTER = java.time.Duration.ofSeconds(60);

  private static final String QUERY =
      "select archived_count, last_archived_wal, last_archived_time, failed_count,"
          + " last_failed_wal, last_failed_time, pg_postmaster_start_time(), w.n, w.oldest"
          + " from pg_stat_archiver, lateral (select count(*) n, min(modification) oldest"
          + " from pg_ls_archive_statusdir() where name like '%.ready') w";

  private ContinuousArchiving() {}

  /**
   * One reading of {@code pg_stat_archiver}: counts since its last reset, the newest WAL file
   * archived and the newest that failed (null when none), when PostgreSQL started (null when
   * unknown), and the WAL files waiting for archive_command ({@code .ready} in {@code
   * pg_wal/archive_status}) with when the oldest became ready (null when none).
   */
  public record Archiver(
      long archivedCount,
      String lastArchivedWal,
      Instant lastArchivedTime,
      long failedCount,
      String lastFailedWal,
      Instant lastFailedTime,
      Instant started,
      long waiting,
      Instant oldestWaiting) {

    public Archiver(
        long archivedCount,
        String lastArchivedWal,
        Instant lastArchivedTime,
        long failedCount,
        String lastFailedWal,
        Instant lastFailedTime,
        Instant started) {
      this(
          archivedCount,
          lastArchivedWal,
          lastArchivedTime,
          failedCount,
          lastFailedWal,
          lastFailedTime,
          started,
          0,
          null);
    }

    public Archiver(
        long archivedCount,
        String lastArchivedWal,
        Instant lastArchivedTime,
        long failedCount,
        String lastFailedWal,
        Instant lastFailedTime) {
      this(
          archivedCount,
          lastArchivedWal,
          lastArchivedTime,
          failedCount,
          lastFailedWal,
          lastFailedTime,
          null);
    }

    /** Whether the newest attempt failed. */
    public boolean failing() {
      return lastFailedTime != null
          && (lastArchivedTime == null || lastFailedTime.isAfter(lastArchivedTime));
    }

    /**
     * Whether archiving is stuck without failing: a WAL file has waited for longer than {@code
     * after} and nothing was archived for as long.
     */
    public boolean stalled(Instant now, java.time.Duration after) {
      Instant limit = now.minus(after);
      return waiting > 0
          && oldestWaiting != null
          && oldestWaiting.isBefore(limit)
          && (lastArchivedTime == null || lastArchivedTime.isBefore(limit));
    }

    /**
     * Whether nothing was archived since PostgreSQL started: the repository's settings (its
     * encryption, the passphrase in the environment) reach archive_command only with a restart, so
     * a push that worked since then rules out that they do not fit the repository.
     */
    public boolean nothingSinceStart() {
      return lastArchivedTime == null || (started != null && lastArchivedTime.isBefore(started));
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
          instant(rs.getTimestamp(6)),
          instant(rs.getTimestamp(7)),
          rs.getLong(8),
          instant(rs.getTimestamp(9)));
    }
  }

  /** {@code conditions} with {@code ContinuousArchiving} set from {@code archiver}. Pure. */
  public static List<Condition> with(
      List<Condition> conditions,
      PostgresCluster cluster,
      Archiver archiver,
      long generation,
      Instant now) {
    return with(conditions, cluster, archiver, Optional.empty(), generation, now);
  }

  /**
   * Whether a failing archiver wants its cause looked up in the repository ({@link
   * ArchiveDiagnosis}, one {@code pgbackrest info} in the primary, seconds; up to about 20 against
   * an unreachable store): when it has just started failing (the condition was not False, or False
   * only as {@value #STALLED} or {@value #GAP}) or the spec changed since the condition was set.
   * Otherwise the condition keeps what the last look found. Pure.
   */
  public static boolean diagnose(List<Condition> conditions, Archiver archiver, long generation) {
    if (!archiver.failing()) {
      return false;
    }
    Condition previous = Conditions.find(conditions, TYPE).orElse(null);
    return previous == null
        || !Conditions.FALSE.equals(previous.getStatus())
        || STALLED.equals(previous.getReason())
        || GAP.equals(previous.getReason())
        || previous.getObservedGeneration() == null
        || previous.getObservedGeneration() != generation;
  }

  /**
   * As {@link #with(List, PostgresCluster, Archiver, long, Instant)}; a failing archiver whose
   * cause a look into the repository found ({@code diagnosis}, from {@link ArchiveDiagnosis}) gives
   * that reason and cause. Pure.
   */
  public static List<Condition> with(
      List<Condition> conditions,
      PostgresCluster cluster,
      Archiver archiver,
      Optional<ArchiveDiagnosis.Diagnosis> diagnosis,
      long generation,
      Instant now) {
    String repository = repository(cluster);
    if (archiver.failing() && diagnosis.isPresent()) {
      return Conditions.with(
          conditions,
          TYPE,
          false,
          diagnosis.get().reason(),
          "archive_command (pgBackRest archive-push) fails: "
              + diagnosis.get().cause()
              + ". Writes go on; WAL files wait in pg_wal until the repository takes them",
          generation,
          now);
    }
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
    if (archiver.stalled(now, STALL_AFTER)) {
      return Conditions.with(
          conditions,
          TYPE,
          false,
          STALLED,
          "archive_command (pgBackRest archive-push to "
              + repository
              + ") has not finished a WAL file since "
              + (archiver.lastArchivedTime() == null
                  ? "PostgreSQL started"
                  : archiver.lastArchivedTime() + " (" + archiver.lastArchivedWal() + ")")
              + ": "
              + archiver.waiting()
              + " WAL file(s) wait, the oldest since "
              + archiver.oldestWaiting()
              + ", and no attempt has ended yet: the repository does not answer, or cannot be"
              + " reached and pgBackRest is still retrying the connection (up to about 3 minutes"
              + " an attempt for a refused connection). Writes go on; WAL files wait in pg_wal"
              + " until the repository takes them",
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
   * {@code conditions} with {@code ContinuousArchiving} False, reason {@value #GAP}, when it was
   * True: archiving works, but the archive lacks WAL ({@code missing}, from {@link
   * ArchiveCoverage}) that a restore from the newest backup ({@code backupLabel}) to the latest
   * point needs. Such a restore would end at the gap and be promoted there, silently older than the
   * source; a new backup is whole again. Pure.
   *
   * @param before the conditions before {@code conditions} set this one from the archiver: a
   *     condition already False keeps its {@code lastTransitionTime}
   */
  public static List<Condition> withGap(
      List<Condition> before,
      List<Condition> conditions,
      PostgresCluster cluster,
      String missing,
      String backupLabel,
      long generation,
      Instant now) {
    boolean archiving =
        Conditions.find(conditions, TYPE)
            .filter(c -> Conditions.TRUE.equals(c.getStatus()))
            .isPresent();
    if (!archiving) {
      return conditions;
    }
    return Conditions.with(
        before,
        TYPE,
        false,
        GAP,
        "WAL is archived to "
            + repository(cluster)
            + ", but the archive lacks what a restore from the newest backup ("
            + backupLabel
            + ") to the latest point replays: "
            + missing
            + ". This follows an archiving outage that spanned a failover (a new primary does not"
            + " archive what the old one had not). A restore without targetTime would end at the"
            + " gap, older than this cluster. Take a backup (kubectl annotate postgresbackup NAME"
            + " backup.postgres.example.com/trigger=now): restores from it are whole",
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
