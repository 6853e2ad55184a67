package io.pgtrickle.operator.postgres.failover;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.readiness.Readiness;
import java.util.List;
import java.util.Optional;

/**
 * A ready replica that does not stream from the primary: Patroni runs it and its readiness probe
 * (Patroni's {@code /health}: PostgreSQL answers) passes, so neither the phase nor the replica
 * Service shows it, yet it serves reads that grow older and is no failover candidate once past
 * {@code maximum_lag_on_failover}. Causes: the replication role cannot log in, {@code pg_hba}
 * refuses it, the primary no longer has the WAL it needs, a history it cannot follow, or catching
 * up from the archive. Read from Patroni's member data ({@link PatroniMembers}); reported once it
 * has lasted {@link StreamingWatch#GRACE} as the condition {@link ReplicasStreaming#TYPE}.
 *
 * @param pod the replica's pod name
 * @param uid the pod's UID (a recreated pod starts a new observation)
 * @param replicationState Patroni's {@code replication_state}, or "no WAL receiver"
 * @param timeline the replica's timeline, or null when Patroni publishes none
 * @param position the replica's WAL position (bytes), or null
 * @param primary the primary's pod name
 * @param primaryTimeline the primary's timeline
 * @param primaryPosition the primary's WAL position, bytes
 */
public record ReplicaNotStreaming(
    String pod,
    String uid,
    String replicationState,
    Long timeline,
    Long position,
    String primary,
    long primaryTimeline,
    long primaryPosition) {

  /** What one look at a cluster's pods found: the primary, and its ready replicas not streaming. */
  public record Observation(String primary, List<ReplicaNotStreaming> notStreaming) {}

  /**
   * The ready replicas that do not stream, in pod order, with the primary's name; empty when there
   * is no one ready running primary to stream from, and nothing can be said.
   */
  public static Optional<Observation> among(List<Pod> pods) {
    List<PatroniMembers.Observed> members = PatroniMembers.of(pods);
    Optional<PatroniMembers.Observed> primary = PatroniMembers.runningPrimary(members);
    if (primary.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(
        new Observation(
            primary.get().name(),
            members.stream()
                .filter(m -> Readiness.isPodReady(m.pod()))
                .filter(m -> m.runningReplica() && !m.streaming())
                .sorted(java.util.Comparator.comparing(PatroniMembers.Observed::name))
                .map(
                    m ->
                        new ReplicaNotStreaming(
                            m.name(),
                            m.uid(),
                            m.replicationState(),
                            m.timeline(),
                            m.position(),
                            primary.get().name(),
                            primary.get().timeline(),
                            primary.get().position()))
                .toList()));
  }

  /**
   * For the condition and Events: its state and position against the primary's (not how long: the
   * condition's {@code lastTransitionTime} tells since when, and a message that changed every
   * reconcile would rewrite the status each time).
   */
  public String describe() {
    return pod
        + " has not streamed from the primary "
        + primary
        + " for over "
        + StreamingWatch.GRACE.toSeconds()
        + " s ("
        + replicationState
        + "; at "
        + (position == null ? "an unknown position" : PatroniMembers.lsn(position))
        + (timeline == null ? "" : " on timeline " + timeline)
        + ", the primary at "
        + PatroniMembers.lsn(primaryPosition)
        + " on timeline "
        + primaryTimeline
        + ")";
  }
}
