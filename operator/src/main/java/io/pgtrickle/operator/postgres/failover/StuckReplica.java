package io.pgtrickle.operator.postgres.failover;

import io.fabric8.kubernetes.api.model.Pod;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * A replica that Patroni runs, that does not stream from the primary and stays behind it: on an
 * older timeline, or lower on the primary's. Patroni repairs none of the causes it has been seen
 * with: the primary no longer has the WAL it needs ("requested WAL segment ... has already been
 * removed", its slot lost), a history it cannot follow, a volume too full to write WAL, or
 * PostgreSQL looping on the end of its own WAL ({@code invalid resource manager ID 32 at ...;
 * waiting for WAL to become available at ...}) while Patroni keeps failing to advance a permanent
 * logical slot on it. Restarting or deleting its pod does not help either: the cause is on its
 * volume or the primary's. Only a fresh clone from the primary does, which the caller orders once
 * the replica has not moved for {@link StuckWatch}'s grace period.
 *
 * <p>A replica that catches up (from the archive, or streaming again) moves, and one level with the
 * primary is left alone: one that cannot log in (see {@link ReplicaNotStreaming}) would fail to
 * clone as well. One past the primary on its timeline is {@link DivergedReplica}'s.
 *
 * @param pod the replica's pod name
 * @param uid the pod's UID (a recreated pod starts a new observation)
 * @param state Patroni's {@code replication_state}, or "no WAL receiver"
 * @param timeline the replica's timeline, or null when Patroni publishes none
 * @param position the replica's WAL position, bytes
 * @param primary the primary's pod name
 * @param primaryTimeline the primary's timeline
 * @param primaryPosition the primary's WAL position, bytes
 */
public record StuckReplica(
    String pod,
    String uid,
    String state,
    Long timeline,
    long position,
    String primary,
    long primaryTimeline,
    long primaryPosition) {

  /**
   * The running replicas that do not stream and are behind the primary, in pod order; empty when
   * there is no one ready running primary (nothing to clone from).
   */
  public static List<StuckReplica> among(List<Pod> pods) {
    List<PatroniMembers.Observed> members = PatroniMembers.of(pods);
    Optional<PatroniMembers.Observed> found = PatroniMembers.runningPrimary(members);
    if (found.isEmpty()) {
      return List.of();
    }
    PatroniMembers.Observed primary = found.get();
    return members.stream()
        .filter(m -> !m.name().equals(primary.name()))
        .filter(m -> m.runningReplica() && !m.streaming() && m.position() != null)
        .filter(m -> behind(m.timeline(), m.position(), primary.timeline(), primary.position()))
        .sorted(Comparator.comparing(PatroniMembers.Observed::name))
        .map(
            m ->
                new StuckReplica(
                    m.name(),
                    m.uid(),
                    m.replicationState(),
                    m.timeline(),
                    m.position(),
                    primary.name(),
                    primary.timeline(),
                    primary.position()))
        .toList();
  }

  /**
   * Whether a replica at {@code position} on {@code timeline} is behind a primary at {@code
   * primaryPosition} on {@code primaryTimeline}: on an older timeline (whatever its position: past
   * the primary's switch to the next one it cannot follow), or lower on the same one, or lower when
   * Patroni publishes no timeline for it.
   */
  static boolean behind(Long timeline, long position, long primaryTimeline, long primaryPosition) {
    if (timeline != null && timeline != primaryTimeline) {
      return timeline < primaryTimeline;
    }
    return position < primaryPosition;
  }

  /** For Events, the condition and logs: its state and position against the primary's. */
  public String describe() {
    return pod
        + " does not stream from the primary "
        + primary
        + " and has not moved past "
        + PatroniMembers.lsn(position)
        + (timeline == null ? "" : " on timeline " + timeline)
        + " ("
        + state
        + "; the primary at "
        + PatroniMembers.lsn(primaryPosition)
        + " on timeline "
        + primaryTimeline
        + ")";
  }
}
