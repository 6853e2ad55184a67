package io.pgtrickle.operator.postgres.status;

import io.pgtrickle.operator.postgres.rollout.RolloutStall;
import io.pgtrickle.operator.status.PodBlocker;
import java.util.List;

/**
 * What the operator saw of a cluster's children in one reconcile: the input of {@link
 * ClusterStatusCalculator}. Built from the informer caches, never from the spec alone.
 *
 * @param statefulSetExists whether the StatefulSet has been created
 * @param currentReplicas pods the StatefulSet has now, not counting those being deleted
 * @param readyReplicas pods whose readiness probe passes
 * @param updatedReplicas pods already on the StatefulSet's latest template revision
 * @param primaryPod the pod Patroni labelled primary, or null when there is none
 * @param readyStandbys ready members other than the primary: with synchronous replication, none
 *     means every write waits
 * @param blockers why members do not come up (unschedulable, image pull, crash loop), from the
 *     pods' own status; empty when none is known
 * @param failure a reason the spec cannot work (e.g. StorageClassNotFound), or null
 * @param problem something only the user can fix keeps the cluster from working as asked: the API
 *     server refused to create a child or a pod (the StatefulSet's FailedCreate), with the API
 *     server's message, or the Secrets' credentials cannot be applied; or null
 * @param deleting whether the cluster is being deleted
 * @param pendingRestart the members whose PostgreSQL waits for a restart to apply parameters
 *     (Patroni's {@code pending_restart}), by name; the operator restarts them one at a time
 * @param rollout whether a member on the desired template has not been ready for too long ({@link
 *     RolloutStall}); it counts while the cluster is {@code Updating}
 */
public record ObservedCluster(
    boolean statefulSetExists,
    int currentReplicas,
    int readyReplicas,
    int updatedReplicas,
    String primaryPod,
    int readyStandbys,
    List<PodBlocker> blockers,
    Finding failure,
    Finding problem,
    boolean deleting,
    List<String> pendingRestart,
    RolloutStall.Verdict rollout) {

  /** A reason for the phase and what the user should know or do, for status and conditions. */
  public record Finding(String reason, String message) {}

  public ObservedCluster {
    blockers = List.copyOf(blockers);
    pendingRestart = List.copyOf(pendingRestart);
    rollout = rollout == null ? new RolloutStall.Settled() : rollout;
  }

  /** Nothing created yet. */
  public static ObservedCluster nothing() {
    return new ObservedCluster(
        false, 0, 0, 0, null, 0, List.of(), null, null, false, List.of(), null);
  }

  /** A StatefulSet with these members; the primary, if any, is counted among the ready ones. */
  public static ObservedCluster members(
      int current, int ready, int updated, String primaryPod, int readyStandbys) {
    return new ObservedCluster(
        true,
        current,
        ready,
        updated,
        primaryPod,
        readyStandbys,
        List.of(),
        null,
        null,
        false,
        List.of(),
        null);
  }

  public ObservedCluster withFailure(String reason, String message) {
    return new ObservedCluster(
        statefulSetExists,
        currentReplicas,
        readyReplicas,
        updatedReplicas,
        primaryPod,
        readyStandbys,
        blockers,
        new Finding(reason, message),
        problem,
        deleting,
        pendingRestart,
        rollout);
  }

  public ObservedCluster withProblem(String reason, String message) {
    return new ObservedCluster(
        statefulSetExists,
        currentReplicas,
        readyReplicas,
        updatedReplicas,
        primaryPod,
        readyStandbys,
        blockers,
        failure,
        new Finding(reason, message),
        deleting,
        pendingRestart,
        rollout);
  }

  public ObservedCluster withBlockers(List<PodBlocker> blockers) {
    return new ObservedCluster(
        statefulSetExists,
        currentReplicas,
        readyReplicas,
        updatedReplicas,
        primaryPod,
        readyStandbys,
        blockers,
        failure,
        problem,
        deleting,
        pendingRestart,
        rollout);
  }

  public ObservedCluster asDeleting() {
    return new ObservedCluster(
        statefulSetExists,
        currentReplicas,
        readyReplicas,
        updatedReplicas,
        primaryPod,
        readyStandbys,
        blockers,
        failure,
        problem,
        true,
        pendingRestart,
        rollout);
  }

  public ObservedCluster withPendingRestart(List<String> members) {
    return new ObservedCluster(
        statefulSetExists,
        currentReplicas,
        readyReplicas,
        updatedReplicas,
        primaryPod,
        readyStandbys,
        blockers,
        failure,
        problem,
        deleting,
        members,
        rollout);
  }

  public ObservedCluster withRollout(RolloutStall.Verdict verdict) {
    return new ObservedCluster(
        statefulSetExists,
        currentReplicas,
        readyReplicas,
        updatedReplicas,
        primaryPod,
        readyStandbys,
        blockers,
        failure,
        problem,
        deleting,
        pendingRestart,
        verdict);
  }
}
