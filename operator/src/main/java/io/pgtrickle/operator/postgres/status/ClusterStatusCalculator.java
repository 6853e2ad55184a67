package io.pgtrickle.operator.postgres.status;

import io.pgtrickle.operator.api.ClusterPhase;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.api.PostgresClusterStatus;
import io.pgtrickle.operator.status.Conditions;
import java.time.Instant;
import java.util.List;

/**
 * The phase state machine of a PostgresCluster, as a pure function of the previous status, the spec
 * and what was observed. The reconciler patches the result only when it differs from the status
 * already stored.
 */
public final class ClusterStatusCalculator {

  public static final String READY = "Ready";
  public static final String PROGRESSING = "Progressing";
  public static final String DEGRADED = "Degraded";

  private ClusterStatusCalculator() {}

  public static PostgresClusterStatus calculate(
      PostgresCluster cluster, ObservedCluster observed, Instant now) {
    PostgresClusterStatus previous = cluster.getStatus();
    int desired = cluster.getSpec().getReplicas();
    long generation =
        cluster.getMetadata().getGeneration() == null ? 0 : cluster.getMetadata().getGeneration();

    boolean specChanged =
        previous == null
            || previous.getObservedGeneration() == null
            || previous.getObservedGeneration() < generation;
    Verdict verdict =
        verdict(previous == null ? null : previous.getPhase(), specChanged, desired, observed);

    PostgresClusterStatus status = new PostgresClusterStatus();
    status.setPhase(verdict.phase());
    status.setPhaseReason(verdict.reason());
    status.setMessage(verdict.message());
    status.setReadyReplicas(observed.readyReplicas());
    status.setReplicas(observed.readyReplicas() + "/" + desired);
    status.setPrimaryPod(observed.primaryPod());
    status.setObservedGeneration(generation);
    status.setPatroniConfigHash(previous == null ? null : previous.getPatroniConfigHash());

    List<io.fabric8.kubernetes.api.model.Condition> conditions =
        previous == null ? List.of() : previous.getConditions();
    boolean ready = verdict.phase() == ClusterPhase.Running;
    conditions =
        Conditions.with(
            conditions,
            READY,
            ready,
            ready ? "ClusterReady" : verdict.reason(),
            ready ? "All members are ready and a primary is elected" : verdict.message(),
            generation,
            now);
    boolean progressing =
        switch (verdict.phase()) {
          case Pending, Creating, Updating, Scaling, Recovering, Deleting -> true;
          default -> false;
        };
    conditions =
        Conditions.with(
            conditions,
            PROGRESSING,
            progressing,
            progressing ? verdict.reason() : "Stable",
            progressing ? verdict.message() : "Nothing is changing",
            generation,
            now);
    boolean degraded =
        verdict.phase() == ClusterPhase.Degraded
            || verdict.phase() == ClusterPhase.Recovering
            || verdict.phase() == ClusterPhase.Failed;
    conditions =
        Conditions.with(
            conditions,
            DEGRADED,
            degraded,
            degraded ? verdict.reason() : "AllMembersHealthy",
            degraded ? verdict.message() : "No member is missing",
            generation,
            now);
    status.setConditions(conditions);
    return status;
  }

  /** The phase with its reason and message. */
  record Verdict(ClusterPhase phase, String reason, String message) {}

  /**
   * The phase from what was observed. A missing pod alone is Degraded: Scaling needs a spec change
   * (the user asked for another member count) and Updating pods left on an older template, so that
   * a deleted replica is not reported as a scale or a rollout. Once entered, Scaling and Updating
   * last until every member is back and ready.
   */
  static Verdict verdict(
      ClusterPhase previous, boolean specChanged, int desired, ObservedCluster o) {
    if (o.deleting()) {
      return new Verdict(ClusterPhase.Deleting, "Deleting", "The cluster is being deleted");
    }
    if (o.failureReason() != null) {
      return new Verdict(ClusterPhase.Failed, o.failureReason(), o.failureMessage());
    }
    boolean everRunning =
        previous != null && previous != ClusterPhase.Pending && previous != ClusterPhase.Creating;
    if (!o.statefulSetExists() || (!everRunning && o.currentReplicas() == 0)) {
      return new Verdict(
          ClusterPhase.Pending, "Provisioning", "Creating the cluster's resources; no pod yet");
    }
    String members = o.readyReplicas() + " of " + desired + " members ready";
    if (!everRunning) {
      if (o.readyReplicas() >= desired && o.primaryPod() != null) {
        return new Verdict(ClusterPhase.Running, "ClusterReady", members);
      }
      return new Verdict(
          ClusterPhase.Creating, "WaitingForMembers", members + ", waiting for the rest");
    }
    if (o.primaryPod() == null) {
      return new Verdict(
          ClusterPhase.Recovering, "NoPrimary", "No primary; Patroni is electing one. " + members);
    }
    boolean membersMissing = o.currentReplicas() != desired || o.readyReplicas() < desired;
    if ((specChanged && o.currentReplicas() != desired)
        || (previous == ClusterPhase.Scaling && membersMissing)) {
      return new Verdict(
          ClusterPhase.Scaling,
          "Scaling",
          "Scaling from " + o.currentReplicas() + " to " + desired + " members");
    }
    if (o.updatedReplicas() < o.currentReplicas()
        || (previous == ClusterPhase.Updating && membersMissing)) {
      return new Verdict(
          ClusterPhase.Updating,
          "RollingUpdate",
          o.updatedReplicas() + " of " + desired + " members updated");
    }
    if (o.readyReplicas() < desired) {
      return new Verdict(ClusterPhase.Degraded, "MembersNotReady", members);
    }
    return new Verdict(ClusterPhase.Running, "ClusterReady", members);
  }
}
