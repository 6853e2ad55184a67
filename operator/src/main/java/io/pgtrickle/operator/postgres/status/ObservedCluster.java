package io.pgtrickle.operator.postgres.status;

/**
 * What the operator saw of a cluster's children in one reconcile: the input of {@link
 * ClusterStatusCalculator}. Built from the informer caches, never from the spec alone.
 *
 * @param statefulSetExists whether the StatefulSet has been created
 * @param currentReplicas pods the StatefulSet has now (its status.replicas)
 * @param readyReplicas pods whose readiness probe passes
 * @param updatedReplicas pods already on the StatefulSet's latest template revision
 * @param primaryPod the pod Patroni labelled primary, or null when there is none
 * @param failureReason a reason the spec cannot work (e.g. StorageClassNotFound), or null
 * @param failureMessage what the user has to change, or null
 * @param deleting whether the cluster is being deleted
 */
public record ObservedCluster(
    boolean statefulSetExists,
    int currentReplicas,
    int readyReplicas,
    int updatedReplicas,
    String primaryPod,
    String failureReason,
    String failureMessage,
    boolean deleting) {

  /** Nothing created yet. */
  public static ObservedCluster nothing() {
    return new ObservedCluster(false, 0, 0, 0, null, null, null, false);
  }

  public ObservedCluster withFailure(String reason, String message) {
    return new ObservedCluster(
        statefulSetExists,
        currentReplicas,
        readyReplicas,
        updatedReplicas,
        primaryPod,
        reason,
        message,
        deleting);
  }

  public ObservedCluster asDeleting() {
    return new ObservedCluster(
        statefulSetExists,
        currentReplicas,
        readyReplicas,
        updatedReplicas,
        primaryPod,
        failureReason,
        failureMessage,
        true);
  }
}
