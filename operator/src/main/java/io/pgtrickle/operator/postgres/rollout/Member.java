package io.pgtrickle.operator.postgres.rollout;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.client.readiness.Readiness;
import io.pgtrickle.operator.postgres.ClusterNames;
import io.pgtrickle.operator.postgres.patroni.PatroniMemberData;
import io.pgtrickle.operator.postgres.spec.ClusterStatefulSet;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

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
 * @param pendingRestart the parameters Patroni reports waiting for a restart of this member's
 *     PostgreSQL ({@code pending_restart_reason}): name to {@code [old, new]} values; empty when
 *     none, {@code {"": ["", ""]}} when Patroni says one waits without saying which
 * @param walPosition what Patroni last published as its WAL position (bytes): a primary's {@code
 *     xlog_location}, a replica's {@code replay_lsn}; null when unknown
 * @param tlsSecret the Secret the pod mounts as its serving certificate, or null when the pod was
 *     created without TLS: whether the member serves SSL and HTTPS (and with which CA) is fixed by
 *     the template it started from, not by the spec now (TLS turned on or off rolls the members one
 *     by one), see {@link io.pgtrickle.operator.postgres.tls.ServedTls}
 * @param patroniHttps whether Patroni's REST API on the pod serves HTTPS, as its readiness probe
 *     (which the kubelet sends there) says
 */
public record Member(
    String name,
    int ordinal,
    boolean ready,
    boolean terminating,
    boolean primary,
    String restartHash,
    ResourceRequirements resources,
    String podIp,
    Map<String, List<String>> pendingRestart,
    Long walPosition,
    String tlsSecret,
    boolean patroniHttps) {

  /** A member created without TLS. */
  public Member(
      String name,
      int ordinal,
      boolean ready,
      boolean terminating,
      boolean primary,
      String restartHash,
      ResourceRequirements resources,
      String podIp,
      Map<String, List<String>> pendingRestart,
      Long walPosition) {
    this(
        name,
        ordinal,
        ready,
        terminating,
        primary,
        restartHash,
        resources,
        podIp,
        pendingRestart,
        walPosition,
        null,
        false);
  }

  /** A member with no parameter waiting for a restart. */
  public Member(
      String name,
      int ordinal,
      boolean ready,
      boolean terminating,
      boolean primary,
      String restartHash,
      ResourceRequirements resources,
      String podIp) {
    this(
        name,
        ordinal,
        ready,
        terminating,
        primary,
        restartHash,
        resources,
        podIp,
        Map.of(),
        null,
        null,
        false);
  }

  public static Member of(Pod pod) {
    String name = pod.getMetadata().getName();
    Map<String, String> labels = pod.getMetadata().getLabels();
    Map<String, String> annotations = pod.getMetadata().getAnnotations();
    boolean ready = Readiness.isPodReady(pod);
    Map<String, Object> data = PatroniMemberData.of(pod);
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
        pod.getStatus() == null ? null : pod.getStatus().getPodIP(),
        pendingRestart(data),
        walPosition(data),
        io.pgtrickle.operator.postgres.tls.ClusterTls.mountedSecret(pod),
        patroniHttps(pod));
  }

  private static boolean patroniHttps(Pod pod) {
    return pod.getSpec() != null
        && pod.getSpec().getContainers().stream()
            .filter(c -> ClusterStatefulSet.CONTAINER.equals(c.getName()))
            .map(c -> c.getReadinessProbe())
            .anyMatch(
                p ->
                    p != null
                        && p.getHttpGet() != null
                        && "HTTPS".equals(p.getHttpGet().getScheme()));
  }

  private static Long walPosition(Map<String, Object> data) {
    Object position =
        data.containsKey("replay_lsn") ? data.get("replay_lsn") : data.get("xlog_location");
    return position instanceof Number n ? n.longValue() : null;
  }

  /** Patroni's {@code pending_restart} and {@code pending_restart_reason}, see the record. */
  static Map<String, List<String>> pendingRestart(Map<String, Object> memberData) {
    if (!Boolean.TRUE.equals(memberData.get("pending_restart"))) {
      return Map.of();
    }
    Map<String, List<String>> pending = new TreeMap<>();
    if (memberData.get("pending_restart_reason") instanceof Map<?, ?> reasons) {
      reasons.forEach(
          (name, change) -> {
            Map<?, ?> values = change instanceof Map<?, ?> m ? m : Map.of();
            pending.put(
                String.valueOf(name),
                List.of(
                    String.valueOf(values.get("old_value")),
                    String.valueOf(values.get("new_value"))));
          });
    }
    return pending.isEmpty() ? Map.of("", List.of("", "")) : pending;
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
