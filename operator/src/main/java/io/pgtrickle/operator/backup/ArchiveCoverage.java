package io.pgtrickle.operator.backup;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Whether the repository's archive holds everything a restore to the latest point from the newest
 * backup replays: each WAL segment from the backup's first to the primary's last archived one, on
 * the timeline PostgreSQL reads it from, and the history file of every timeline after the backup's.
 * Pure.
 *
 * <p>Why (a trial, 2026-12-07): while the repository cannot be reached, WAL waits in the primary's
 * {@code pg_wal}; a failover then leaves it behind, as a new primary with {@code archive_mode=on}
 * archives only what it writes itself. The archive then lacks the old timeline's last segments
 * (and, after two failovers, a timeline's history file). PostgreSQL's recovery reads segment {@code
 * n} from the newest timeline of the target's history that began at or before {@code n}, falling
 * back to older ones ({@code XLogFileReadAnyTLI}), and ends recovery at the first segment it cannot
 * get: without a recovery target that is a promotion, silently older than the source. And {@code
 * recovery_target_timeline=latest} probes the history files {@code T+1}, {@code T+2}, ... from the
 * backup's timeline {@code T} and stops at the first missing one ({@code findNewestTimeLine}).
 */
public final class ArchiveCoverage {

  /** A segment in pgBackRest's archive: {@code TTTTTTTTXXXXXXXXYYYYYYYY-SHA1[.EXT]}. */
  private static final Pattern SEGMENT = Pattern.compile("^([0-9A-F]{24})-[0-9a-f]{40}(\\..*)?$");

  private static final Pattern HISTORY = Pattern.compile("^[0-9A-F]{8}\\.history$");
  private static final Pattern WAL_NAME = Pattern.compile("^[0-9A-F]{24}$");
  private static final Pattern HISTORY_LINE =
      Pattern.compile("^\\s*(\\d+)\\s+([0-9A-Fa-f]+)/([0-9A-Fa-f]+)(\\s.*)?$");

  /** How many missing ranges a description names before it counts the rest. */
  private static final int NAMED = 3;

  private ArchiveCoverage() {}

  /** A timeline of the current one's history, from segment {@code begin} to {@code end}. */
  record Timeline(int id, long begin, long end) {}

  /**
   * The WAL segments and history files an archive holds, from the paths {@code pgbackrest repo-ls
   * --recurse archive/STANZA} prints (one a line, e.g. {@code
   * 15-1/0000000100000000/000000010000000000000003-78d0...13.gz}, {@code 15-1/00000002.history}):
   * segment names without their checksum and extension; partial segments are left out (recovery
   * does not read them).
   */
  public static Set<String> archived(String repoLs) {
    Set<String> names = new TreeSet<>();
    for (String line : repoLs.split("\n")) {
      String file = line.strip();
      file = file.substring(file.lastIndexOf('/') + 1);
      Matcher segment = SEGMENT.matcher(file);
      if (segment.matches()) {
        names.add(segment.group(1));
      } else if (HISTORY.matcher(file).matches()) {
        names.add(file);
      }
    }
    return names;
  }

  /**
   * Whether {@link #missing} can tell: the primary's last archived file is a segment of its own
   * timeline (until then what it archives is the backlog of an older one, or a history file).
   */
  public static boolean decidable(String lastArchived, int timeline) {
    return lastArchived != null
        && WAL_NAME.matcher(lastArchived).matches()
        && timeline(lastArchived) == timeline;
  }

  /**
   * What the archive lacks for a restore to the latest point from a backup; empty when nothing, or
   * when it cannot be told yet (the primary has archived nothing on its own timeline, or the backup
   * is not on its history).
   *
   * @param backupStart the backup's first WAL segment (pgBackRest's {@code archive.start})
   * @param lastArchived the primary's {@code pg_stat_archiver.last_archived_wal}
   * @param timeline the primary's timeline
   * @param history the primary's {@code pg_wal/TIMELINE.history} (empty for timeline 1): lines
   *     {@code PARENT_TLI SWITCH_LSN REASON}
   * @param segmentBytes {@code wal_segment_size}, bytes
   * @param archived the archive's content ({@link #archived})
   * @return e.g. {@code WAL 000000010000000000000005 to 000000010000000000000007, history file
   *     00000003.history}
   */
  public static Optional<String> missing(
      String backupStart,
      String lastArchived,
      int timeline,
      String history,
      long segmentBytes,
      Set<String> archived) {
    if (backupStart == null
        || !WAL_NAME.matcher(backupStart).matches()
        || !decidable(lastArchived, timeline)) {
      return Optional.empty();
    }
    long perId = 0x1_0000_0000L / segmentBytes;
    List<Timeline> path = path(history, timeline, segmentBytes);
    int backupTimeline = timeline(backupStart);
    if (path.stream().noneMatch(t -> t.id() == backupTimeline)) {
      return Optional.empty();
    }
    List<String> gaps = new ArrayList<>();
    for (int t = backupTimeline + 1; t <= timeline; t++) {
      String file = String.format(Locale.ROOT, "%08X.history", t);
      if (!archived.contains(file)) {
        gaps.add("history file " + file);
      }
    }
    long first = segment(backupStart, perId);
    long last = segment(lastArchived, perId);
    String runStart = null;
    String runEnd = null;
    for (long n = first; n <= last; n++) {
      String found = null;
      String wanted = null;
      for (int i = path.size() - 1; i >= 0; i--) {
        Timeline t = path.get(i);
        if (t.id() < backupTimeline || t.begin() > n || t.end() < n) {
          continue;
        }
        String name = name(t.id(), n, perId);
        wanted = wanted == null ? name : wanted;
        if (archived.contains(name)) {
          found = name;
          break;
        }
      }
      if (found == null && wanted != null) {
        runStart = runStart == null ? wanted : runStart;
        runEnd = wanted;
      } else if (runStart != null) {
        gaps.add(range(runStart, runEnd));
        runStart = null;
      }
    }
    if (runStart != null) {
      gaps.add(range(runStart, runEnd));
    }
    if (gaps.isEmpty()) {
      return Optional.empty();
    }
    String named = String.join(", ", gaps.subList(0, Math.min(NAMED, gaps.size())));
    return Optional.of(
        gaps.size() > NAMED ? named + " and " + (gaps.size() - NAMED) + " more" : named);
  }

  /**
   * The timelines of {@code timeline}'s history, oldest first, each with the segments recovery
   * reads from it: a timeline begins at the segment of its parent's switch point and the parent
   * ends there (that segment holds the parent's last records on either).
   */
  static List<Timeline> path(String history, int timeline, long segmentBytes) {
    List<Timeline> path = new ArrayList<>();
    long begin = 0;
    for (String line : history == null ? new String[0] : history.split("\n")) {
      Matcher m = HISTORY_LINE.matcher(line);
      if (line.strip().startsWith("#") || !m.matches()) {
        continue;
      }
      long lsn = (Long.parseLong(m.group(2), 16) << 32) | Long.parseLong(m.group(3), 16);
      long end = lsn / segmentBytes;
      path.add(new Timeline(Integer.parseInt(m.group(1)), begin, end));
      begin = end;
    }
    path.add(new Timeline(timeline, begin, Long.MAX_VALUE));
    return path;
  }

  static int timeline(String walName) {
    return Integer.parseInt(walName.substring(0, 8), 16);
  }

  private static long segment(String walName, long perId) {
    return Long.parseLong(walName.substring(8, 16), 16) * perId
        + Long.parseLong(walName.substring(16, 24), 16);
  }

  private static String name(int timeline, long segment, long perId) {
    return String.format(Locale.ROOT, "%08X%08X%08X", timeline, segment / perId, segment % perId);
  }

  private static String range(String from, String to) {
    return from.equals(to) ? "WAL " + from : "WAL " + from + " to " + to;
  }
}
