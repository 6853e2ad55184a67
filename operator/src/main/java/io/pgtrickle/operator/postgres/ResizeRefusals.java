package io.pgtrickle.operator.postgres;

import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.pgtrickle.operator.api.PostgresCluster;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The members whose in-place resize the API server refused, per cluster and desired resources (e.g.
 * "Pod QOS Class may not change as a result of resizing"): the rollout gives them new pods in its
 * order instead ({@link io.pgtrickle.operator.postgres.rollout.RolloutPlanner}). In memory: after
 * an operator restart the first resize is tried again and refused again, which costs a request.
 * Forgotten when the desired resources change or the cluster goes.
 */
final class ResizeRefusals {

  private record Refused(String resources, Set<String> pods) {}

  private final Map<String, Refused> byCluster = new ConcurrentHashMap<>();

  /** The members refused a resize to {@code to}; empty when none (or for other resources). */
  Set<String> pods(PostgresCluster cluster, ResourceRequirements to) {
    Refused refused = byCluster.get(key(cluster));
    return refused != null && refused.resources().equals(String.valueOf(to))
        ? Set.copyOf(refused.pods())
        : Set.of();
  }

  /**
   * Remembers that {@code pod} cannot be resized to {@code to} in place.
   *
   * @return whether it is the first member refused these resources (the one to tell the user of)
   */
  boolean refused(PostgresCluster cluster, ResourceRequirements to, String pod) {
    Set<String> pods = new TreeSet<>(pods(cluster, to));
    boolean first = pods.isEmpty();
    pods.add(pod);
    byCluster.put(key(cluster), new Refused(String.valueOf(to), pods));
    return first;
  }

  void forget(PostgresCluster cluster) {
    byCluster.remove(key(cluster));
  }

  private static String key(PostgresCluster cluster) {
    return cluster.getMetadata().getNamespace() + "/" + cluster.getMetadata().getName();
  }
}
