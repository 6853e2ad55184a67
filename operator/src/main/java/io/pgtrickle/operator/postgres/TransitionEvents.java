package io.pgtrickle.operator.postgres;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.pgtrickle.operator.api.ClusterPhase;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.api.PostgresClusterStatus;
import io.pgtrickle.operator.events.EventRecorder;
import io.pgtrickle.operator.postgres.credentials.CredentialRotation;
import io.pgtrickle.operator.postgres.status.ClusterStatusCalculator;
import io.pgtrickle.operator.postgres.status.PodCreationFailure;
import java.util.Objects;

/** The Events for a status change: phase transitions, new trouble, a primary moved or lost. */
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
          "ResourceRejected");

  private TransitionEvents() {}

  static void record(
      KubernetesClient client,
      PostgresCluster cluster,
      PostgresClusterStatus previous,
      PostgresClusterStatus next) {

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
        default -> {}
      }
    }
    String primaryBefore = previous == null ? null : previous.getPrimaryPod();
    if (primaryBefore != null && !Objects.equals(primaryBefore, next.getPrimaryPod())) {
      if (next.getPrimaryPod() == null) {
        EventRecorder.warning(
            client, cluster, "PrimaryLost", "Primary " + primaryBefore + " is gone; electing");
      } else {
        EventRecorder.normal(
            client,
            cluster,
            "Failover",
            "Primary moved from " + primaryBefore + " to " + next.getPrimaryPod());
      }
    }
  }
}
