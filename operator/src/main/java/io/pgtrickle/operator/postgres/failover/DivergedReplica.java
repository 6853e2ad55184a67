package io.pgtrickle.operator.postgres.failover;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.readiness.Readiness;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * A replica whose WAL went past the primary's on the same timeline number: it can never stream
 * again ("requested starting point ... is ahead of the WAL flush position of this server") and
 * Patroni does not repair it. Patroni decides whether a former primary needs {@code pg_rewind} by
 * timeline alone: equal timeline numbers count as "no rewind needed" (patroni/postgresql/rewind.py,
 * {@code _check_timeline_and_lsn}), whatever the positions. Equal numbers with different histories
 * happen when a crashed primary restarts, promotes itself to a new timeline (Patroni starts it as a
 * replica and promotes it while it still holds the lock) and crashes again before the replicas
 * followed: a replica then promotes to the same timeline number from the older history.
 *
 * <p>Read from what Patroni publishes about each member in its pod's {@code status} annotation (its
 * Kubernetes DCS): {@code role}, {@code state}, {@code timeline}, {@code xlog_location} (the
 * primary's current WAL position; a replica's highest received or replayed one, bytes) and {@code
 * replication_state}. A replica on the primary's timeline can only be behind or level with it; one
 * ahead that does not stream has diverged. The caller waits for the observation to persist (see
 * {@link DivergenceWatch}) since the primary publishes its position once per {@code loop_wait}.
 *
 * @param pod the replica's pod name
 * @param uid the pod's UID (a recreated pod starts a new observation)
 * @param timeline the timeline number both report
 * @param position the replica's WAL position, bytes
 * @param primary the primary's pod name
 * @param primaryPosition the primary's WAL position, bytes
 */
public record DivergedReplica(
    String pod, String uid, long timeline, long position, String primary, long primaryPosition) {

  /** The pod annotation holding Patroni's member data (Patroni's Kubernetes DCS). */
  public static final String STATUS_ANNOTATION = "status";

  private static final KubernetesSerialization JSON = new KubernetesSerialization();

  /**
   * The first diverged replica among a cluster's pods; empty unless exactly one ready pod reports
   * itself a running primary with its timeline and position.
   */
  public static Optional<DivergedReplica> among(List<Pod> pods) {
    // A crashed primary's pod keeps its last member data until its Patroni runs again: only a
    // ready pod counts, and only when it is the one primary.
    List<Map.Entry<Pod, Map<String, Object>>> primaries =
        pods.stream()
            .filter(p -> p.getMetadata().getDeletionTimestamp() == null)
            .filter(Readiness::isPodReady)
            .map(p -> Map.entry(p, memberData(p)))
            .filter(e -> isRunningPrimary(e.getValue()))
            .toList();
    if (primaries.size() != 1) {
      return Optional.empty();
    }
    Map.Entry<Pod, Map<String, Object>> primary = primaries.get(0);
    Map<String, Object> leader = primary.getValue();
    Long timeline = number(leader.get("timeline"));
    Long leaderPosition = number(leader.get("xlog_location"));
    if (timeline == null || leaderPosition == null) {
      return Optional.empty();
    }
    String leaderPod = primary.getKey().getMetadata().getName();
    for (Pod pod : pods) {
      if (pod.getMetadata().getDeletionTimestamp() != null) {
        continue;
      }
      Map<String, Object> member = memberData(pod);
      if (!"replica".equals(member.get("role"))
          || !"running".equals(member.get("state"))
          || "streaming".equals(member.get("replication_state"))) {
        continue;
      }
      Long position = number(member.get("xlog_location"));
      if (timeline.equals(number(member.get("timeline")))
          && position != null
          && position > leaderPosition) {
        return Optional.of(
            new DivergedReplica(
                pod.getMetadata().getName(),
                pod.getMetadata().getUid(),
                timeline,
                position,
                leaderPod,
                leaderPosition));
      }
    }
    return Optional.empty();
  }

  /** For events and logs: both positions in PostgreSQL's LSN notation. */
  public String describe() {
    return pod
        + " is at "
        + lsn(position)
        + " on timeline "
        + timeline
        + ", past the primary "
        + primary
        + " at "
        + lsn(primaryPosition)
        + " on the same timeline number: their histories diverged and it cannot stream";
  }

  /** {@code 0/60000B8}: PostgreSQL's text form of a WAL position. */
  static String lsn(long position) {
    return Long.toHexString(position >>> 32).toUpperCase(Locale.ROOT)
        + "/"
        + Long.toHexString(position & 0xFFFFFFFFL).toUpperCase(Locale.ROOT);
  }

  private static boolean isRunningPrimary(Map<String, Object> member) {
    Object role = member.get("role");
    return ("primary".equals(role) || "master".equals(role))
        && "running".equals(member.get("state"));
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> memberData(Pod pod) {
    Map<String, String> annotations = pod.getMetadata().getAnnotations();
    String status = annotations == null ? null : annotations.get(STATUS_ANNOTATION);
    if (status == null || status.isBlank()) {
      return Map.of();
    }
    try {
      Object parsed = JSON.unmarshal(status, Map.class);
      return parsed instanceof Map<?, ?> map ? (Map<String, Object>) map : Map.of();
    } catch (RuntimeException e) {
      return Map.of();
    }
  }

  private static Long number(Object value) {
    return value instanceof Number n ? n.longValue() : null;
  }
}
