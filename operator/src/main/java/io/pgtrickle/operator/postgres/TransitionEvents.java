package io.pgtrickle.operator.postgres;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.pgtrickle.operator.api.ClusterPhase;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.api.PostgresClusterStatus;
import io.pgtrickle.operator.api.SwitchoverRecord;
import io.pgtrickle.operator.events.EventRecorder;
import io.pgtrickle.operator.postgres.credentials.CredentialRotation;
import io.pgtrickle.operator.postgres.failover.PrimaryChange;
import io.pgtrickle.operator.postgres.failover.ReplicasStreaming;
import io.pgtrickle.operator.postgres.rollout.RolloutStall;
import io.pgtrickle.operator.postgres.status.ClusterStatusCalculator;
import io.pgtrickle.operator.postgres.status.PodCreationFailure;
import io.pgtrickle.operator.status.Conditions;
import java.time.Instant;
import java.util.Objects;

/**
 * The Events for a status change: phase transitions, new trouble, a primary moved (by a switchover
 * the operator asked for, or by a failover) or lost.
 */
final class TransitionEvents {

  /**
   * Reasons that get a Warning Event even when the phase stays (for example a Degraded cluster
   * whose last standby goes too): the ones a user must act on or wait for.
   */
  static final java.util.Set<String> WARNED_REASONS =
      java.util.Set.of(
          ClusterStatusCalculator.SYNCHRONOUS_STANDBY_MISSING,
          PodCreationFailure.REASON,
          CredentialRotation.NOT_APPLIED,
          "ResourceRejected",
          RolloutStall.REASON);

  /** A new primary the operator did not ask for (Warning). */
  static final String FAILOVER = "Failover";

  /** The primary moved to the member a switchover the operator asked for named (Normal). */
  static final String SWITCHOVER_COMPLETED = "SwitchoverCompleted";

  /** No pod is labelled primary any more (Warning). */
  static final String PRIMARY_LOST = "PrimaryLost";

  static final String PRIMARY_RECOVERED = "PrimaryRecovered";

  private TransitionEvents() {}

  /**
   * Records the Events for the change from {@code previous} to {@code next}, and settles {@code
   * next}'s switchover record (see {@link PrimaryChange}): kept while the switchover may still be
   * under way, dropped once the primary moved or after {@link PrimaryChange#WINDOW}. Where the
   * status has no record (a cluster read before the patch that wrote it), the one {@code
   * switchovers} remembers counts; its completion is reported once.
   */
  static void record(
      KubernetesClient client,
      PostgresCluster cluster,
      PostgresClusterStatus previous,
      PostgresClusterStatus next,
      Instant now,
      SwitchoverMemory switchovers) {

    ClusterPhase before = previous == null ? null : previous.getPhase();
    String reasonBefore = previous == null ? null : previous.getPhaseReason();
    boolean newTrouble =
        !Objects.equals(reasonBefore, next.getPhaseReason())
            && WARNED_REASONS.contains(next.getPhaseReason());
    if (before != next.getPhase() || newTrouble) {
      switch (next.getPhase()) {
        case Running -> EventRecorder.normal(client, cluster, "ClusterReady", next.getMessage());
        case Failed, Degraded, Recovering ->
            EventRecorder.warning(client, cluster, next.getPhaseReason(), next.getMessage());
        default -> {
          // E.g. Updating, RolloutStalled: once when the reason comes, not while it stays.
          if (newTrouble) {
            EventRecorder.warning(client, cluster, next.getPhaseReason(), next.getMessage());
          }
        }
      }
    }
    streamingEvents(client, cluster, previous, next);
    String primaryBefore = previous == null ? null : previous.getPrimaryPod();
    SwitchoverRecord kept = next.getSwitchover();
    PrimaryChange change =
        PrimaryChange.of(
            primaryBefore,
            next.getPrimaryPod(),
            kept != null ? kept : switchovers.recall(cluster),
            primaryBefore == null ? switchovers.lostPrimary(cluster, next.getPrimaryPod()) : null,
            now);
    // Only a record the status had stays there; the memory's copy is the memory's.
    next.setSwitchover(kept == null ? null : change.remaining());
    switch (change.kind()) {
      case LOST -> {
        switchovers.settled(cluster);
        switchovers.lost(cluster, change.from());
        EventRecorder.warning(
            client, cluster, PRIMARY_LOST, "Primary " + change.from() + " is gone; electing");
      }
      case FAILOVER -> {
        switchovers.settled(cluster);
        EventRecorder.warning(
            client,
            cluster,
            FAILOVER,
            "Primary moved from "
                + change.from()
                + " to "
                + change.to()
                + " without a switchover asked for: failover");
      }
      case SWITCHOVER -> {
        if (switchovers.firstCompletion(cluster, change.switchover())) {
          EventRecorder.normal(
              client,
              cluster,
              SWITCHOVER_COMPLETED,
              "Primary moved from " + change.from() + " to " + change.to() + " by switchover");
        }
      }
      case RECOVERED -> {
        switchovers.settled(cluster);
        EventRecorder.normal(
            client,
            cluster,
            PRIMARY_RECOVERED,
            "Primary " + change.to() + " is back and primary again (no other member took over)");
      }
      case NONE, HANDING_OVER -> {}
    }
  }

  /**
   * A Warning {@code ReplicaNotStreaming} when {@link ReplicasStreaming#TYPE} turns False, a Normal
   * {@code ReplicasStreaming} when it turns True again, nothing while it is Unknown (no primary;
   * the cluster's own Events tell that) (the condition's message changes with the primary's WAL
   * position while it stays False, so that is not an Event each time).
   */
  private static void streamingEvents(
      KubernetesClient client,
      PostgresCluster cluster,
      PostgresClusterStatus previous,
      PostgresClusterStatus next) {
    boolean wasFalse =
        previous != null
            && Conditions.find(previous.getConditions(), ReplicasStreaming.TYPE)
                .map(c -> Conditions.FALSE.equals(c.getStatus()))
                .orElse(false);
    var after = Conditions.find(next.getConditions(), ReplicasStreaming.TYPE);
    if (after.isEmpty()) {
      return;
    }
    boolean isFalse = Conditions.FALSE.equals(after.get().getStatus());
    boolean isTrue = Conditions.TRUE.equals(after.get().getStatus());
    if (isFalse && !wasFalse) {
      EventRecorder.warning(
          client, cluster, ReplicasStreaming.NOT_STREAMING, after.get().getMessage());
    } else if (isTrue && wasFalse) {
      EventRecorder.normal(client, cluster, ReplicasStreaming.TYPE, after.get().getMessage());
    }
  }
}
