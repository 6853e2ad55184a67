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
   * The members other than the primary that do not stream from it, in pod order, with the primary's
   * name; empty when there is no one ready running primary to stream from, and nothing can be said.
   * A member that is not ready, or that Patroni does not run as a replica (starting, cloning,
   * crashed), counts too, its state saying which: before, only ready running replicas were looked
   * at, and a cluster whose replicas were all down read "Every ready replica streams".
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
                .filter(m -> !m.name().equals(primary.get().name()))
                .filter(
                    m -> !(Readiness.isPodReady(m.pod()) && m.runningReplica() && m.streaming()))
                .sorted(java.util.Comparator.comparing(PatroniMembers.Observed::name))
                .map(
                    m ->
                        new ReplicaNotStreaming(
                            m.name(),
                            m.uid(),
                            state(m),
                            m.timeline(),
                            m.position(),
                            primary.get().name(),
                            primary.get().timeline(),
                            primary.get().position()))
                .toList()));
  }

  /** A member's state for the message: its replication state, or why it has none. */
  private static String state(PatroniMembers.Observed m) {
    boolean ready = Readiness.isPodReady(m.pod());
    if (ready && m.runningReplica()) {
      return m.replicationState();
    }
    Object role = m.data().get("role");
    Object state = m.data().get("state");
    String patroni =
        role == null && state == null
            ? "no Patroni member data"
            : "Patroni " + (role == null ? "" : role + " ") + (state == null ? "" : state);
    return patroni.trim() + (ready ? "" : ", pod not ready");
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
