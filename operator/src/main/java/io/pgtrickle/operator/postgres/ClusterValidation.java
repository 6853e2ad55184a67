package io.pgtrickle.operator.postgres;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.backup.spec.RestoreSource;
import io.pgtrickle.operator.postgres.spec.ParameterCheck;
import io.pgtrickle.operator.postgres.spec.PostgresqlParameters;
import java.time.DateTimeException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Checks the CRD cannot express: what slips through becomes a Failed status with a reason that says
 * what to change, never an exception that retries in a loop.
 */
public final class ClusterValidation {

  /** Why a spec cannot work, for the status. */
  public record Problem(String reason, String message, boolean mayResolveItself) {}

  private ClusterValidation() {}

  /**
   * Checks that need nothing but the resource. The CRD refuses a name its children could not carry;
   * a cluster stored before that rule existed is reported here instead of failing later, child by
   * child.
   */
  public static Optional<Problem> ofSpec(PostgresCluster cluster) {
    String name = cluster.getMetadata().getName();
    if (name.length() > ClusterNames.MAX_NAME_LENGTH) {
      return Optional.of(new Problem("NameTooLong", ClusterNames.NAME_LENGTH_MESSAGE, false));
    }
    if (!name.matches(io.pgtrickle.operator.naming.KubernetesLimits.DNS_1035_LABEL)) {
      return Optional.of(new Problem("NameNotAllowed", ClusterNames.NAME_FORMAT_MESSAGE, false));
    }
    return targetTime(cluster).or(() -> memory(cluster)).or(() -> parameters(cluster));
  }

  /** The least memory a member is given: PostgreSQL and Patroni share the container. */
  static final io.fabric8.kubernetes.api.model.Quantity MEMORY_FLOOR =
      new io.fabric8.kubernetes.api.model.Quantity("128Mi");

  /**
   * spec.resources' memory request and limit against {@link #MEMORY_FLOOR}: below it the member is
   * killed for memory as PostgreSQL and Patroni start, again and again. Before 2026-12-07 a limit
   * of 1Mi was accepted without a word (reason ResourcesTooSmall now; the CRD's rules cannot
   * compare quantities on every supported Kubernetes).
   */
  static Optional<Problem> memory(PostgresCluster cluster) {
    var resources = cluster.getSpec().getResources();
    if (resources == null) {
      return Optional.empty();
    }
    for (String kind : new String[] {"requests", "limits"}) {
      var amounts = "requests".equals(kind) ? resources.getRequests() : resources.getLimits();
      var memory = amounts == null ? null : amounts.get("memory");
      if (memory != null
          && memory.getNumericalAmount().compareTo(MEMORY_FLOOR.getNumericalAmount()) < 0) {
        return Optional.of(
            new Problem(
                "ResourcesTooSmall",
                "spec.resources."
                    + kind
                    + ".memory: "
                    + memory
                    + " is below "
                    + MEMORY_FLOOR
                    + ", the least a member's PostgreSQL and Patroni run in (they share the"
                    + " container, which would be killed for memory as they start); raise it",
                false));
      }
    }
    return Optional.empty();
  }

  /**
   * spec.restore.targetTime as the restore reads it. The CRD refuses what is no time; one stored
   * before that rule (the field cannot change) fails here with reason TargetTimeInvalid, not with
   * an exception on every reconcile.
   */
  static Optional<Problem> targetTime(PostgresCluster cluster) {
    var restore = cluster.getSpec().getRestore();
    String time = restore == null ? null : restore.getTargetTime();
    try {
      RestoreSource.targetTime(time);
      return Optional.empty();
    } catch (DateTimeException e) {
      return Optional.of(
          new Problem(
              "TargetTimeInvalid",
              "spec.restore.targetTime: \""
                  + time
                  + "\" is no RFC 3339 time with a zone that exists, e.g. 2024-01-15T01:30:00Z;"
                  + " it cannot change, so delete this cluster and create it with another"
                  + " targetTime",
              false));
    }
  }

  /**
   * spec.postgresqlParams against the cluster's major: names the operator owns or Patroni drops
   * (reason ParameterNotAllowed), names the major does not know (ParameterUnknown, with the closest
   * known name), values PostgreSQL would refuse (ParameterInvalid, with what is allowed). The
   * reason is the first of these that applies; the message lists every problem, owned names first,
   * then sorted by name. Patroni would drop any of them with only a log line.
   */
  static Optional<Problem> parameters(PostgresCluster cluster) {
    List<String> rejected = PostgresqlParameters.rejected(cluster);
    List<ParameterCheck.Finding> findings =
        ParameterCheck.check(
            cluster.getSpec().majorVersion(), cluster.getSpec().getPostgresqlParams());
    if (rejected.isEmpty() && findings.isEmpty()) {
      return Optional.empty();
    }
    List<String> sentences = new ArrayList<>();
    if (!rejected.isEmpty()) {
      sentences.add(
          "spec.postgresqlParams: "
              + String.join(", ", rejected)
              + (rejected.size() == 1 ? " is" : " are")
              + " managed by the operator and Patroni and cannot be set; remove "
              + (rejected.size() == 1 ? "it" : "them"));
    }
    findings.forEach(f -> sentences.add(f.message()));
    String reason =
        !rejected.isEmpty() || has(findings, ParameterCheck.NOT_ALLOWED)
            ? ParameterCheck.NOT_ALLOWED
            : has(findings, ParameterCheck.UNKNOWN)
                ? ParameterCheck.UNKNOWN
                : ParameterCheck.INVALID;
    return Optional.of(new Problem(reason, String.join("; ", sentences), false));
  }

  private static boolean has(List<ParameterCheck.Finding> findings, String reason) {
    return findings.stream().anyMatch(f -> f.reason().equals(reason));
  }

  /** Checks against the cluster: a named StorageClass must exist (it may be created later). */
  public static Optional<Problem> ofEnvironment(PostgresCluster cluster, KubernetesClient client) {
    String storageClass = cluster.getSpec().getStorage().getStorageClass();
    if (storageClass != null
        && !storageClass.isBlank()
        && client.storage().v1().storageClasses().withName(storageClass).get() == null) {
      return Optional.of(
          new Problem(
              "StorageClassNotFound",
              "spec.storage.storageClass: StorageClass \""
                  + storageClass
                  + "\" does not exist; create it or name an existing one",
              true));
    }
    return Optional.empty();
  }
}
