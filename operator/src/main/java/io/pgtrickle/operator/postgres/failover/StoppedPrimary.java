package io.pgtrickle.operator.postgres.failover;

import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.readiness.Readiness;
import io.pgtrickle.operator.api.PatroniSpec;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.postgres.ClusterNames;
import io.pgtrickle.operator.postgres.spec.ClusterStatefulSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Finds a primary whose container the kubelet reports stopped. Patroni replaces a primary that
 * stopped renewing its leader lock only when the lock expires ({@code ttl}, at least 20 s), even
 * when the primary is known to be gone: its container crashed and waits for a restart (the kubelet
 * restarts a crashed container after a back-off of up to 5 minutes). The kubelet's report is the
 * first of two independent signals the operator requires before it releases the lock; the second is
 * Patroni's REST API on the pod not answering (see {@code ClusterActions#releaseStoppedPrimary}).
 */
public final class StoppedPrimary {

  private StoppedPrimary() {}

  public static boolean enabled(PostgresCluster cluster) {
    PatroniSpec patroni = cluster.getSpec().getPatroni();
    return patroni == null || patroni.getFastFailover() == null || patroni.getFastFailover();
  }

  /**
   * The pod Patroni labelled primary, if the kubelet reports its PostgreSQL container as not
   * running (terminated, or waiting to be restarted) and the pod as not ready. A pod being deleted
   * is left to Patroni: a graceful stop releases the lock itself.
   */
  public static Optional<String> among(List<Pod> pods) {
    return pods.stream()
        .filter(StoppedPrimary::labelledPrimary)
        .filter(p -> p.getMetadata().getDeletionTimestamp() == null)
        .filter(p -> !Readiness.isPodReady(p))
        .filter(StoppedPrimary::containerStopped)
        .map(p -> p.getMetadata().getName())
        .findFirst();
  }

  private static boolean labelledPrimary(Pod pod) {
    Map<String, String> labels = pod.getMetadata().getLabels();
    return labels != null && ClusterNames.ROLE_PRIMARY.equals(labels.get(ClusterNames.ROLE_LABEL));
  }

  private static boolean containerStopped(Pod pod) {
    if (pod.getStatus() == null || pod.getStatus().getContainerStatuses() == null) {
      return false;
    }
    return pod.getStatus().getContainerStatuses().stream()
        .filter(c -> ClusterStatefulSet.CONTAINER.equals(c.getName()))
        .map(ContainerStatus::getState)
        .anyMatch(s -> s != null && s.getRunning() == null);
  }
}
