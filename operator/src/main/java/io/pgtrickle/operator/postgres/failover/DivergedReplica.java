package io.pgtrickle.operator.postgres.failover;

import io.fabric8.kubernetes.api.model.Pod;
import java.util.List;
import java.util.Optional;

/**
 * A replica whose WAL went past the primary's on the same timeline number: it can never stream
 * again ("requested starting point ... is ahead of the WAL flush position of this server") and
 * Patroni does not repair it. Patroni decides whether a former primary needs {@code pg_rewind} by
 * timeline alone: equal timeline numbers count as "no rewind needed" (patroni/postgresql/rewind.py,
 * {@code _check_timeline_and_lsn}), whatever the positions. Equal numbers with different histories
 * happen when a crashed primary restarts, promotes itself to a new timeline (Patroni starts it as a
 * replica and promotes it while it still holds the lock) and crashes again before the replicas
 * followed: a replica then promotes to the same timeline number from the older history.
 *
 * <p>Read from what Patroni publishes about each member in its pod's {@code status} annotation (its
 * Kubernetes DCS): {@code role}, {@code state}, {@code timeline}, {@code xlog_location} (the
 * primary's current WAL position; a replica's highest received or replayed one, bytes) and {@code
 * replication_state}. A replica on the primary's timeline can only be behind or level with it; one
 * ahead that does not stream has diverged. The caller waits for the observation to persist (see
 * {@link DivergenceWatch}) since the primary publishes its position once per {@code loop_wait}.
 *
 * @param pod the replica's pod name
 * @param uid the pod's UID (a recreated pod starts a new observation)
 * @param timeline the timeline number both report
 * @param position the replica's WAL position, bytes
 * @param primary the primary's pod name
 * @param primaryPosition the primary's WAL position, bytes
 */
public record DivergedReplica(
    String pod, String uid, long timeline, long position, String primary, long primaryPosition) {

  /** The pod annotation holding Patroni's member data (Patroni's Kubernetes DCS). */
  public static final String STATUS_ANNOTATION = "status";

  /**
   * The first diverged replica among a cluster's pods; empty unless exactly one ready pod reports
   * itself a running primary with its timeline and position.
   */
  public static Optional<DivergedReplica> among(List<Pod> pods) {
    List<PatroniMembers.Observed> members = PatroniMembers.of(pods);
    Optional<PatroniMembers.Observed> primary = PatroniMembers.runningPrimary(members);
    if (primary.isEmpty()) {
      return Optional.empty();
    }
    long timeline = primary.get().timeline();
    long leaderPosition = primary.get().position();
    for (PatroniMembers.Observed member : members) {
      if (!member.runningReplica() || member.streaming()) {
        continue;
      }
      Long position = member.position();
      if (Long.valueOf(timeline).equals(member.timeline())
          && position != null
          && position > leaderPosition) {
        return Optional.of(
            new DivergedReplica(
                member.name(),
                member.uid(),
                timeline,
                position,
                primary.get().name(),
                leaderPosition));
      }
    }
    return Optional.empty();
  }

  /** For events and logs: both positions in PostgreSQL's LSN notation. */
  public String describe() {
    return pod
        + " is at "
        + lsn(position)
        + " on timeline "
        + timeline
        + ", past the primary "
        + primary
        + " at "
        + lsn(primaryPosition)
        + " on the same timeline number: their histories diverged and it cannot stream";
  }

  /** {@code 0/60000B8}: PostgreSQL's text form of a WAL position. */
  static String lsn(long position) {
    return PatroniMembers.lsn(position);
  }
}
