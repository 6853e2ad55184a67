package io.pgtrickle.cdc.slot;

import io.pgtrickle.changelog.Lsn;
import java.util.Optional;

/**
 * Whether what the consumer published from one timeline is still the source's history on the server
 * it streams from now. Pure: the text of a timeline history file only.
 *
 * <p>A promoted standby starts a new timeline at the end of the WAL it had (the switchpoint). Its
 * history file, which the replication command {@code TIMELINE_HISTORY n} returns, has one line per
 * earlier timeline: {@code <parent timeline>\t<switchpoint>\t<reason>}, where the switchpoint is
 * the first position of the next timeline (PostgreSQL's {@code timeline.c}; lines starting with
 * {@code #} are comments). A transaction whose commit record ends after the switchpoint of the
 * timeline it was streamed on is not in the new primary's history: with asynchronous replication
 * the old primary had it and a logical walsender sent it before the standby received it. The new
 * primary then writes other transactions at the same positions, which the change log would drop as
 * already published (an event is identified by source and position).
 */
public final class TimelineHistory {

  private TimelineHistory() {}

  /**
   * Where timeline {@code timeline} ended in a history file: its switchpoint.
   *
   * @param content the history file's text ({@code TIMELINE_HISTORY}'s second column)
   * @param timeline an earlier timeline
   * @return its switchpoint, or empty if the file does not list it (the server's history does not
   *     pass through that timeline) or the line is malformed
   */
  public static Optional<Lsn> switchpoint(String content, int timeline) {
    for (String line : content.split("\n")) {
      String trimmed = line.strip();
      if (trimmed.isEmpty() || trimmed.startsWith("#")) {
        continue;
      }
      String[] fields = trimmed.split("\\s+", 3);
      if (fields.length < 2) {
        continue;
      }
      try {
        if (Integer.parseInt(fields[0]) == timeline) {
          return Optional.of(Lsn.parse(fields[1]));
        }
      } catch (IllegalArgumentException e) {
        return Optional.empty();
      }
    }
    return Optional.empty();
  }

  /**
   * Where the server's current timeline began: the switchpoint of the last line of its history.
   *
   * @param content the current timeline's history file
   * @return the position, or empty for an empty or malformed history (timeline 1 has none)
   */
  public static Optional<Lsn> began(String content) {
    Optional<Lsn> last = Optional.empty();
    for (String line : content.split("\n")) {
      String trimmed = line.strip();
      if (trimmed.isEmpty() || trimmed.startsWith("#")) {
        continue;
      }
      String[] fields = trimmed.split("\\s+", 3);
      try {
        last = fields.length < 2 ? Optional.empty() : Optional.of(Lsn.parse(fields[1]));
      } catch (IllegalArgumentException e) {
        last = Optional.empty();
      }
    }
    return last;
  }

  /**
   * Whether commits the consumer published from timeline {@code streamed} may be missing from the
   * history of a server on timeline {@code current}.
   *
   * @param content {@code current}'s history file (empty for timeline 1, which has none)
   * @param streamed the timeline the consumer streamed from before
   * @param current the server's timeline now
   * @param published the end of the last commit record the consumer published ({@link Lsn#ZERO}:
   *     none)
   * @return {@code false} when nothing was published, the timeline is the same, or every published
   *     commit ends at or before {@code streamed}'s switchpoint in {@code current}'s history;
   *     {@code true} when one ends after it, or when that history does not pass through {@code
   *     streamed} at all (a server on an older or unrelated timeline)
   */
  public static boolean forked(String content, int streamed, int current, Lsn published) {
    if (published.equals(Lsn.ZERO) || streamed == current) {
      return false;
    }
    if (current < streamed) {
      return true;
    }
    return switchpoint(content, streamed).map(published::isAfter).orElse(true);
  }
}
