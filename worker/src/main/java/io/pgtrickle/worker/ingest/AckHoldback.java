package io.pgtrickle.worker.ingest;

import io.pgtrickle.changelog.Lsn;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;

/**
 * Holds back the change-log acknowledgments of ingest commits until no promotion can take those
 * commits back: until every streaming physical standby of the database has flushed the WAL past the
 * commit.
 *
 * <p>Why: the change log never delivers an acknowledged event again. With asynchronous replication
 * a commit that returned on the primary is lost when the primary fails before a standby received it
 * and that standby is promoted; acknowledged right away, the events of that commit would be gone
 * from the buffers and from the change log, and the stream tables would never have them. Held back,
 * they stay unacknowledged in the change log, and the change-log instance the next database session
 * opens (after the failover, or in a restarted worker) delivers them again; the buffer's primary
 * key drops those that did survive. A synchronous standby has flushed a commit by the time it
 * returns, so with one the acknowledgments go at once.
 *
 * <p>Released without that proof, and counted as unprotected ({@link Release#unprotectedCount}, for
 * {@link LostCommits}): when no physical standby streams (none to promote, or one reconnecting:
 * Patroni may promote a standby that was away if it lagged less than {@code
 * maximum_lag_on_failover}), when the standbys' positions are hidden from the worker's role
 * (without {@code pg_read_all_stats}, {@code pg_stat_replication} shows NULL positions), and after
 * {@code maxHold} (a standby that streams but does not advance would otherwise make the change log
 * keep every event). Not thread-safe: the ingest loop uses it.
 */
final class AckHoldback {

  /** How long an acknowledgment waits for the standbys at most, by default. */
  static final Duration DEFAULT_MAX_HOLD = Duration.ofSeconds(60);

  private record Held(
      long commitCount,
      Lsn commitEnd,
      long heldAtNanos,
      Map<Long, Lsn> last,
      Map<Long, Integer> events) {}

  /**
   * What may be acknowledged now.
   *
   * @param acknowledge per source, the position to acknowledge (cumulative)
   * @param unprotectedCount the lease's commit count of the last commit released without the
   *     standbys' flush ({@code -1}: none)
   * @param why why that was, or null
   */
  record Release(Map<Long, Lsn> acknowledge, long unprotectedCount, String why) {}

  private final Duration maxHold;
  private final Deque<Held> held = new ArrayDeque<>();

  AckHoldback(Duration maxHold) {
    this.maxHold = maxHold;
  }

  /**
   * A fenced ingest commit that copied events.
   *
   * @param commitCount the lease's commit count of that transaction
   * @param commitEnd a WAL position at or after its commit record (the insert position read after
   *     it returned)
   * @param last per source, the position of the last event it copied
   * @param events per source, how many events it copied
   * @param nowNanos {@link System#nanoTime()}
   */
  void hold(
      long commitCount,
      Lsn commitEnd,
      Map<Long, Lsn> last,
      Map<Long, Integer> events,
      long nowNanos) {
    held.addLast(new Held(commitCount, commitEnd, nowNanos, Map.copyOf(last), Map.copyOf(events)));
  }

  /** Whether anything waits. */
  boolean isEmpty() {
    return held.isEmpty();
  }

  /** How many events of source {@code oid} are held back (copied, not acknowledged). */
  long heldEvents(long oid) {
    long n = 0;
    for (Held h : held) {
      n += h.events().getOrDefault(oid, 0);
    }
    return n;
  }

  /**
   * Releases what the standbys' positions allow.
   *
   * @param standbys the database's physical standbys now
   * @param nowNanos {@link System#nanoTime()}
   * @return the acknowledgments to send, and whether any went without the standbys' flush
   */
  Release release(StandbyFlush standbys, long nowNanos) {
    Map<Long, Lsn> ack = new HashMap<>();
    long unprotected = -1;
    String why = null;
    while (!held.isEmpty()) {
      Held h = held.peekFirst();
      String reason = null;
      if (standbys.streaming() == 0) {
        reason = "no physical standby streams";
      } else if (standbys.hidden() > 0) {
        reason =
            "the standbys' positions are hidden from this role (grant it pg_read_all_stats or"
                + " pg_monitor)";
      } else if (standbys.minFlush() != null && standbys.minFlush().compareTo(h.commitEnd()) >= 0) {
        reason = "";
      } else if (nowNanos - h.heldAtNanos() >= maxHold.toNanos()) {
        reason =
            "a standby has not flushed "
                + h.commitEnd()
                + " within "
                + maxHold.toSeconds()
                + " s (it has "
                + standbys.minFlush()
                + ")";
      }
      if (reason == null) {
        break;
      }
      held.removeFirst();
      ack.putAll(h.last());
      if (!reason.isEmpty()) {
        unprotected = h.commitCount();
        why = reason;
      }
    }
    return new Release(ack, unprotected, why);
  }
}
