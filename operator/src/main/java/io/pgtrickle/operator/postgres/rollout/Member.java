package io.pgtrickle.operator.postgres.rollout;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.client.readiness.Readiness;
import io.pgtrickle.operator.postgres.ClusterNames;
import io.pgtrickle.operator.postgres.spec.ClusterStatefulSet;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * One pod of a cluster as the decisions about it need it.
 *
 * @param name pod name
 * @param ordinal the StatefulSet ordinal, from the name
 * @param ready whether the pod's Ready condition is true
 * @param terminating whether the pod is being deleted
 * @param primary whether Patroni labelled it primary
 * @param restartHash the template hash it was created from
 * @param resources the PostgreSQL container's resources now
 * @param podIp its IP, or null before it has one
 */
public record Member(
    String name,
    int ordinal,
    boolean ready,
    boolean terminating,
    boolean primary,
    String restartHash,
    ResourceRequirements resources,
    String podIp) {

  public static Member of(Pod pod) {
    String name = pod.getMetadata().getName();
    Map<String, String> labels = pod.getMetadata().getLabels();
    Map<String, String> annotations = pod.getMetadata().getAnnotations();
    boolean ready = Readiness.isPodReady(pod);
    ResourceRequirements resources =
        pod.getSpec().getContainers().stream()
            .filter(c -> ClusterStatefulSet.CONTAINER.equals(c.getName()))
            .map(c -> c.getResources())
            .findFirst()
            .orElse(null);
    return new Member(
        name,
        ordinal(name),
        ready,
        pod.getMetadata().getDeletionTimestamp() != null,
        labels != null && ClusterNames.ROLE_PRIMARY.equals(labels.get(ClusterNames.ROLE_LABEL)),
        annotations == null ? null : annotations.get(ClusterNames.RESTART_HASH_ANNOTATION),
        resources,
        pod.getStatus() == null ? null : pod.getStatus().getPodIP());
  }

  public static List<Member> of(List<Pod> pods) {
    return pods.stream().map(Member::of).sorted(Comparator.comparingInt(Member::ordinal)).toList();
  }

  static int ordinal(String podName) {
    int dash = podName.lastIndexOf('-');
    try {
      return Integer.parseInt(podName.substring(dash + 1));
    } catch (NumberFormatException e) {
      return -1;
    }
  }
}
