package io.pgtrickle.operator.postgres.failover;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.readiness.Readiness;
import io.pgtrickle.operator.postgres.patroni.PatroniMemberData;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * What Patroni publishes about each member in its pod's {@code status} annotation (its Kubernetes
 * DCS): {@code role}, {@code state}, {@code timeline}, {@code xlog_location} (the primary's current
 * WAL position; a replica's highest received or replayed one, bytes) and, for a replica, {@code
 * replication_state} ({@code streaming}, or {@code in archive recovery} while it has no WAL
 * receiver).
 */
final class PatroniMembers {

  private PatroniMembers() {}

  /** A pod with its member data. */
  record Observed(Pod pod, Map<String, Object> data) {

    String name() {
      return pod.getMetadata().getName();
    }

    String uid() {
      return String.valueOf(pod.getMetadata().getUid());
    }

    Long timeline() {
      return number(data.get("timeline"));
    }

    Long position() {
      return number(data.get("xlog_location"));
    }

    boolean runningReplica() {
      return "replica".equals(data.get("role")) && "running".equals(data.get("state"));
    }

    boolean streaming() {
      return "streaming".equals(data.get("replication_state"));
    }

    /** Patroni's {@code replication_state}, or "no WAL receiver" when it publishes none. */
    String replicationState() {
      Object state = data.get("replication_state");
      return state == null ? "no WAL receiver" : state.toString();
    }
  }

  /** The pods not being deleted, with their member data (empty when none is published). */
  static List<Observed> of(List<Pod> pods) {
    return pods.stream()
        .filter(p -> p.getMetadata().getDeletionTimestamp() == null)
        .map(p -> new Observed(p, memberData(p)))
        .toList();
  }

  /**
   * The one ready pod that reports itself a running primary with its timeline and position; empty
   * when there is none or more than one. A crashed primary's pod keeps its last member data until
   * its Patroni runs again, so only a ready pod counts.
   */
  static Optional<Observed> runningPrimary(List<Observed> members) {
    List<Observed> primaries =
        members.stream()
            .filter(m -> Readiness.isPodReady(m.pod()))
            .filter(m -> isRunningPrimary(m.data()))
            .toList();
    if (primaries.size() != 1
        || primaries.get(0).timeline() == null
        || primaries.get(0).position() == null) {
      return Optional.empty();
    }
    return Optional.of(primaries.get(0));
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

  private static Map<String, Object> memberData(Pod pod) {
    return PatroniMemberData.of(pod);
  }

  private static Long number(Object value) {
    return value instanceof Number n ? n.longValue() : null;
  }
}
