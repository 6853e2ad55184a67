package io.pgtrickle.operator.postgres.failover;

import io.pgtrickle.operator.api.SwitchoverRecord;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Objects;

/**
 * What a change of {@code status.primaryPod} between two statuses was, pure: a switchover the
 * operator asked for ({@link SwitchoverRecord} in the status), a failover, the primary lost, or a
 * switchover under way (the old primary demoted, the new one not yet labelled). Also says which
 * switchover record the next status keeps.
 *
 * <p>Why the record: Patroni tells no difference afterwards. Its history and timeline files say "no
 * recovery target specified" for both, and it empties its {@code failover} key once the switchover
 * is done; only the operator knows it asked.
 *
 * @param kind what happened
 * @param from the primary before (for a switchover seen through a moment without a primary: the
 *     member the switchover was asked of)
 * @param to the primary after, or null
 * @param switchover the switchover record that explains a {@link Kind#SWITCHOVER}, else null
 * @param remaining the switchover record the next status keeps, or null
 */
public record PrimaryChange(
    Kind kind, String from, String to, SwitchoverRecord switchover, SwitchoverRecord remaining) {

  /** How long after Patroni accepted a switchover a change of primary is attributed to it. */
  public static final Duration WINDOW = Duration.ofMinutes(5);

  /** What a change of primary was. */
  public enum Kind {
    /** No change worth an Event (none at all, or a primary appearing with nothing known before). */
    NONE,
    /** The primary moved as the operator asked Patroni to: Event {@code SwitchoverCompleted}. */
    SWITCHOVER,
    /** The primary moved without the operator asking: Warning Event {@code Failover}. */
    FAILOVER,
    /** No pod is labelled primary any more: Warning Event {@code PrimaryLost}. */
    LOST,
    /** The primary asked to hand over demoted, the new one is not labelled yet: no Event. */
    HANDING_OVER,
    /**
     * The primary lost is primary again (its pod restarted and Patroni elected it once more): Event
     * {@code PrimaryRecovered}. Before, nothing followed {@code PrimaryLost}.
     */
    RECOVERED
  }

  /**
   * Classifies the change from {@code before} to {@code after} (pod names, null: no primary).
   *
   * @param switchover the switchover record of the status (a new one when this reconcile asked for
   *     one), or null
   * @param now the time of this reconcile
   */
  public static PrimaryChange of(
      String before, String after, SwitchoverRecord switchover, Instant now) {
    return of(before, after, switchover, null, now);
  }

  /**
   * The same, knowing the primary last lost ({@link Kind#LOST}) before a moment without one: a new
   * primary after it is a failover from it (a deleted primary pod: its name is gone from the status
   * before another member is promoted), unless a switchover explains it; the same member back is
   * {@link Kind#RECOVERED}.
   *
   * @param lost the primary lost since the last primary was seen, or null
   */
  public static PrimaryChange of(
      String before, String after, SwitchoverRecord switchover, String lost, Instant now) {
    SwitchoverRecord recent = recent(switchover, now) ? switchover : null;
    if (Objects.equals(before, after)) {
      return new PrimaryChange(Kind.NONE, before, after, null, recent);
    }
    if (after == null) {
      if (recent != null && before.equals(recent.getFrom())) {
        return new PrimaryChange(Kind.HANDING_OVER, before, null, null, recent);
      }
      return new PrimaryChange(Kind.LOST, before, null, null, recent);
    }
    // A new primary: the record has served either way.
    if (recent != null
        && (before == null || before.equals(recent.getFrom()))
        && !after.equals(recent.getFrom())
        && (recent.getTo() == null || recent.getTo().equals(after))) {
      return new PrimaryChange(Kind.SWITCHOVER, recent.getFrom(), after, recent, null);
    }
    if (before == null) {
      if (lost == null) {
        return new PrimaryChange(Kind.NONE, null, after, null, null);
      }
      return lost.equals(after)
          ? new PrimaryChange(Kind.RECOVERED, lost, after, null, null)
          : new PrimaryChange(Kind.FAILOVER, lost, after, null, null);
    }
    return new PrimaryChange(Kind.FAILOVER, before, after, null, null);
  }

  /** A record of a switchover accepted no longer than {@link #WINDOW} ago. */
  static boolean recent(SwitchoverRecord switchover, Instant now) {
    if (switchover == null || switchover.getFrom() == null || switchover.getAcceptedAt() == null) {
      return false;
    }
    try {
      Instant accepted = Instant.parse(switchover.getAcceptedAt());
      return !accepted.plus(WINDOW).isBefore(now);
    } catch (DateTimeParseException e) {
      return false;
    }
  }
}
