package io.pgtrickle.operator.postgres.status;

import io.pgtrickle.operator.api.ClusterPhase;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.api.PostgresClusterStatus;
import io.pgtrickle.operator.postgres.rollout.RolloutStall;
import io.pgtrickle.operator.status.Conditions;
import io.pgtrickle.operator.status.PodBlocker;
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
    Integer desiredBefore = desiredIn(previous);
    boolean countChanged = specChanged && desiredBefore != null && desiredBefore != desired;
    Verdict verdict =
        verdict(
            previous == null ? null : previous.getPhase(),
            specChanged,
            countChanged,
            desired,
            Boolean.TRUE.equals(cluster.getSpec().getSynchronous()),
            observed);

    PostgresClusterStatus status = new PostgresClusterStatus();
    status.setPhase(verdict.phase());
    status.setPhaseReason(verdict.reason());
    status.setMessage(verdict.message());
    status.setReadyReplicas(observed.readyReplicas());
    status.setReplicas(observed.readyReplicas() + "/" + desired);
    status.setPrimaryPod(observed.primaryPod());
    status.setObservedGeneration(generation);
    status.setPatroniConfigHash(previous == null ? null : previous.getPatroniConfigHash());
    status.setSwitchover(previous == null ? null : previous.getSwitchover());
    status.setStorageSize(previous == null ? null : previous.getStorageSize());

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
    // A stalled rollout is not progressing, as Kubernetes says of a Deployment past its
    // progressDeadlineSeconds (Progressing=False, ProgressDeadlineExceeded).
    boolean progressing =
        switch (verdict.phase()) {
          case Pending, Creating, Updating, Scaling, Recovering, Deleting ->
              !RolloutStall.REASON.equals(verdict.reason());
          default -> false;
        };
    boolean stalled = RolloutStall.REASON.equals(verdict.reason());
    conditions =
        Conditions.with(
            conditions,
            PROGRESSING,
            progressing,
            progressing || stalled ? verdict.reason() : "Stable",
            progressing || stalled ? verdict.message() : "Nothing is changing",
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
    conditions = FailoverSlotsSynchronized.with(conditions, cluster, generation, now);
    status.setConditions(conditions);
    return status;
  }

  /**
   * The member count the status before was written for: the part after '/' of its {@code replicas}
   * ("ready/desired"), or null when there is none or it does not read as a count.
   */
  static Integer desiredIn(PostgresClusterStatus previous) {
    if (previous == null || previous.getReplicas() == null) {
      return null;
    }
    String replicas = previous.getReplicas();
    try {
      return Integer.valueOf(replicas.substring(replicas.indexOf('/') + 1));
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /** The phase with its reason and message. */
  record Verdict(ClusterPhase phase, String reason, String message) {

    /**
     * Shows why members are not coming up: the first blocker's reason becomes the reason (the
     * conditions carry it), and every blocker (up to three) is added to the message.
     */
    Verdict blockedBy(List<PodBlocker> blockers) {
      return blockedBy(blockers, false);
    }

    /**
     * The same, but a reason that matters more than any one member's (writes waiting for a standby)
     * stays, and the blockers only explain it in the message.
     */
    Verdict blockedBy(List<PodBlocker> blockers, boolean keepReason) {
      if (blockers.isEmpty()) {
        return this;
      }
      String described =
          blockers.stream()
              .limit(MAX_BLOCKERS_SHOWN)
              .map(PodBlocker::describe)
              .collect(java.util.stream.Collectors.joining("; "));
      if (blockers.size() > MAX_BLOCKERS_SHOWN) {
        described += "; and " + (blockers.size() - MAX_BLOCKERS_SHOWN) + " more";
      }
      return new Verdict(
          phase, keepReason ? reason : blockers.get(0).reason(), message + ". " + described);
    }
  }

  static final int MAX_BLOCKERS_SHOWN = 3;

  /** Reason of a synchronous cluster whose primary has no ready standby. */
  public static final String SYNCHRONOUS_STANDBY_MISSING = "SynchronousStandbyMissing";

  /** Reason of a cluster whose members wait for a restart to apply changed parameters. */
  public static final String PENDING_RESTART = "PendingRestart";

  /**
   * The phase from what was observed. A missing pod alone is Degraded: Scaling needs a spec change
   * (the user asked for another member count: {@code countChanged}, or the pods not yet the count
   * asked when the change is first seen; the new member's pod may already be in the cache by then,
   * not ready, which read as Degraded) and Updating pods left on an older template, so that a
   * deleted replica is not reported as a scale or a rollout. Once entered, Scaling and Updating
   * last until every member is back and ready; an Updating rollout whose member on the new template
   * has not been ready for the bound of {@link RolloutStall} gets the reason {@code RolloutStalled}
   * (and {@code Progressing=False}), naming the member and its Patroni state. Whatever keeps
   * members from coming up is added to the message ({@link PodBlocker}), and becomes the reason
   * where the reason would only say that members are not ready (WaitingForMembers,
   * MembersNotReady); the API server refusing a child or a pod makes the cluster Failed, or
   * Degraded while it still has a primary.
   */
  static Verdict verdict(
      ClusterPhase previous,
      boolean specChanged,
      boolean countChanged,
      int desired,
      boolean synchronous,
      ObservedCluster o) {
    if (o.deleting()) {
      return new Verdict(ClusterPhase.Deleting, "Deleting", "The cluster is being deleted");
    }
    if (o.failure() != null) {
      return new Verdict(ClusterPhase.Failed, o.failure().reason(), o.failure().message());
    }
    if (o.problem() != null) {
      return new Verdict(
          o.primaryPod() == null ? ClusterPhase.Failed : ClusterPhase.Degraded,
          o.problem().reason(),
          o.problem().message());
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
              ClusterPhase.Creating,
              "WaitingForMembers",
              members
                  + (o.readyReplicas() >= desired
                      ? ", waiting for Patroni to elect a primary"
                      : ", waiting for the rest"))
          .blockedBy(o.blockers());
    }
    if (o.primaryPod() == null) {
      return new Verdict(
              ClusterPhase.Recovering,
              "NoPrimary",
              "No primary; Patroni is electing one. " + members)
          .blockedBy(o.blockers(), true);
    }
    if (synchronous && o.readyStandbys() == 0) {
      // Strict synchronous mode: the primary acknowledges no commit until a standby confirms it.
      return new Verdict(
              ClusterPhase.Degraded,
              SYNCHRONOUS_STANDBY_MISSING,
              "Synchronous replication has no standby: writes on "
                  + o.primaryPod()
                  + " wait for a standby to be ready again ("
                  + members
                  + ")")
          .blockedBy(o.blockers(), true);
    }
    boolean membersMissing = o.currentReplicas() != desired || o.readyReplicas() < desired;
    // A rollout's restarted member missing for a moment (deleted, not yet recreated) can read as
    // a scale; once every member exists again, a stalled rollout is reported as such, not as a
    // scale that never ends (seen under load in RolloutStallIT).
    boolean stalledRollout =
        o.rollout() instanceof RolloutStall.Stalled && o.currentReplicas() == desired;
    if (!stalledRollout
        && ((specChanged && o.currentReplicas() != desired)
            || (countChanged && membersMissing)
            || (previous == ClusterPhase.Scaling && membersMissing))) {
      return new Verdict(
              ClusterPhase.Scaling,
              "Scaling",
              o.currentReplicas() != desired
                  ? "Scaling from " + o.currentReplicas() + " to " + desired + " members"
                  // Every member exists, not every one ready yet (a trial read "Scaling from 3
                  // to 3 members" during a rollout).
                  : "Scaling to " + desired + " members, " + o.readyReplicas() + " ready")
          .blockedBy(o.blockers(), true);
    }
    if (o.updatedReplicas() < o.currentReplicas()
        || (previous == ClusterPhase.Updating && membersMissing)) {
      if (o.rollout() instanceof RolloutStall.Stalled stalled) {
        // The rollout keeps waiting (RolloutPlanner), but says for whom and why.
        return new Verdict(
                ClusterPhase.Updating,
                RolloutStall.REASON,
                o.updatedReplicas() + " of " + desired + " members updated. " + stalled.describe())
            .blockedBy(o.blockers(), true);
      }
      return new Verdict(
              ClusterPhase.Updating,
              "RollingUpdate",
              o.updatedReplicas() + " of " + desired + " members updated")
          .blockedBy(o.blockers(), true);
    }
    if (o.readyReplicas() < desired) {
      return new Verdict(ClusterPhase.Degraded, "MembersNotReady", members).blockedBy(o.blockers());
    }
    if (!o.pendingRestart().isEmpty()) {
      // Parameters Patroni pushed but PostgreSQL applies only at a restart: not yet in force.
      return new Verdict(
          ClusterPhase.Updating,
          PENDING_RESTART,
          "PostgreSQL on "
              + String.join(", ", o.pendingRestart())
              + " waits for a restart to apply changed parameters; the operator restarts one"
              + " member at a time in place (Events PendingRestart)");
    }
    return new Verdict(ClusterPhase.Running, "ClusterReady", members);
  }
}
