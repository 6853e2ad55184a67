package io.pgtrickle.operator.backup;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.backup.pgbackrest.RepositoryBackup;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Looks, now and then, whether the repository's archive covers a restore to the latest point from
 * the newest backup ({@link ArchiveCoverage}): the primary's timeline, its history file and {@code
 * wal_segment_size} (SQL), the newest backup's first WAL segment ({@code pgbackrest info}) and the
 * archive's files ({@code pgbackrest repo-ls --recurse archive/STANZA}, both in the primary's
 * container, seconds). A look is due every {@link #EVERY}, every {@link #WHILE_MISSING} while
 * something is missing (a new backup covers it), at once when the primary archived its first file
 * on another timeline, and every {@link #UNDECIDED} while it cannot tell (the primary has not
 * archived a segment on its own timeline yet). It looks only while the repository answers (no WAL
 * file waits longer than {@link #PUSH_TIME}).
 */
final class ArchiveCoverageProbe {

  private static final Logger LOG = LoggerFactory.getLogger(ArchiveCoverageProbe.class);

  static final Duration EVERY = Duration.ofMinutes(5);
  static final Duration WHILE_MISSING = Duration.ofSeconds(30);
  static final Duration UNDECIDED = Duration.ofSeconds(20);

  /**
   * How long a WAL file may wait for archive-push while the repository still counts as answering: a
   * push takes about a second here, and under a steady load a segment is ready for moments.
   */
  static final Duration PUSH_TIME = Duration.ofSeconds(10);

  /** What a look found: the gap (empty: none, or cannot tell), for which backup. */
  record Finding(Optional<String> missing, String backupLabel) {}

  private record Look(String timeline, Instant at, Duration again, Finding finding) {}

  /** The last look per cluster (uid); a restarted operator looks again. */
  private static final Map<String, Look> LOOKS = new ConcurrentHashMap<>();

  private ArchiveCoverageProbe() {}

  /** What the primary tells of its WAL: its timeline, its history file and the segment size. */
  record Primary(int timeline, String history, long segmentBytes) {

    static Primary read(Connection c) throws SQLException {
      try (Statement s = c.createStatement()) {
        int timeline;
        long segmentBytes;
        try (ResultSet rs =
            s.executeQuery(
                "select substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8),"
                    + " setting::bigint from pg_settings where name = 'wal_segment_size'")) {
          rs.next();
          timeline = Integer.parseInt(rs.getString(1), 16);
          segmentBytes = rs.getLong(2);
        }
        String history = "";
        if (timeline > 1) {
          try (ResultSet rs =
              s.executeQuery(
                  String.format(
                      Locale.ROOT, "select pg_read_file('pg_wal/%08X.history')", timeline))) {
            rs.next();
            history = rs.getString(1);
          }
        }
        return new Primary(timeline, history, segmentBytes);
      }
    }
  }

  /**
   * The last finding for {@code cluster}, looking again first when a look is due; empty when no
   * look could tell yet.
   *
   * @param lastArchived the primary's {@code pg_stat_archiver.last_archived_wal}
   * @param primary reads the primary's WAL facts (SQL); empty when it does not answer
   * @param pod the primary's pod, for the pgBackRest commands
   */
  static Optional<Finding> finding(
      KubernetesClient client,
      PostgresCluster cluster,
      String lastArchived,
      java.util.function.Supplier<Optional<Primary>> primary,
      String pod,
      Instant now)
      throws InterruptedException {
    if (lastArchived == null || lastArchived.length() < 8) {
      return Optional.empty();
    }
    String uid = cluster.getMetadata().getUid();
    String timeline = lastArchived.substring(0, 8);
    Look last = LOOKS.get(uid);
    if (last != null
        && last.timeline().equals(timeline)
        && now.isBefore(last.at().plus(last.again()))) {
      return Optional.ofNullable(last.finding());
    }
    Look look = look(client, cluster, lastArchived, primary, pod, now, timeline);
    LOOKS.put(uid, look);
    return Optional.ofNullable(look.finding());
  }

  /** Forgets a deleted cluster's looks. */
  static void forget(String uid) {
    LOOKS.remove(uid);
  }

  private static Look look(
      KubernetesClient client,
      PostgresCluster cluster,
      String lastArchived,
      java.util.function.Supplier<Optional<Primary>> read,
      String pod,
      Instant now,
      String timeline)
      throws InterruptedException {
    Optional<Primary> primary = read.get();
    if (primary.isEmpty() || !ArchiveCoverage.decidable(lastArchived, primary.get().timeline())) {
      return new Look(timeline, now, UNDECIDED, null);
    }
    RepositoryCommands repository =
        new RepositoryCommands(client, cluster.getMetadata().getNamespace(), pod);
    try {
      List<RepositoryBackup> backups = repository.info();
      if (backups.isEmpty()) {
        return new Look(timeline, now, EVERY, null);
      }
      RepositoryBackup newest = backups.get(backups.size() - 1);
      Optional<String> missing =
          ArchiveCoverage.missing(
              newest.walStart(),
              lastArchived,
              primary.get().timeline(),
              primary.get().history(),
              primary.get().segmentBytes(),
              ArchiveCoverage.archived(repository.archiveListing()));
      if (missing.isEmpty()) {
        LOG.debug(
            "the archive of {} in {} covers a restore from backup {} to {}",
            cluster.getMetadata().getName(),
            cluster.getMetadata().getNamespace(),
            newest.label(),
            lastArchived);
      }
      missing.ifPresent(
          m ->
              LOG.warn(
                  "the archive of {} in {} lacks what a restore from backup {} to the latest point"
                      + " needs: {}",
                  cluster.getMetadata().getName(),
                  cluster.getMetadata().getNamespace(),
                  newest.label(),
                  m));
      return new Look(
          timeline,
          now,
          missing.isPresent() ? WHILE_MISSING : EVERY,
          new Finding(missing, newest.label()));
    } catch (TimeoutException | RuntimeException e) {
      LOG.info(
          "cannot look at the archive of {} in {} from {}: {}",
          cluster.getMetadata().getName(),
          cluster.getMetadata().getNamespace(),
          pod,
          e.getMessage());
      return new Look(timeline, now, WHILE_MISSING, null);
    }
  }
}
