package io.pgtrickle.operator.postgres;

import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.AggregatedOperatorException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;

/**
 * Finds, in what a failed reconcile threw, the API server refusing a request for a reason that
 * retrying will not fix by itself: 400 (bad request), 403 (RBAC, quota, admission policy) or 422
 * (invalid), and the 500 that server-side apply answers for a patch it cannot convert to the
 * object's type ("failed to create typed patch object", "failed to convert new object"), e.g. a
 * resource quantity such as {@code cpu: lots} taken from the cluster's spec). Not: 404 or 409 (a
 * race, retried), 429 and other 5xx (the API server is busy or away).
 */
final class ApiRefusal {

  private ApiRefusal() {}

  /** The API server's message of the first refusal found, or empty. */
  static Optional<String> in(Throwable thrown) {
    Deque<Throwable> todo = new ArrayDeque<>();
    Set<Throwable> seen = new HashSet<>();
    todo.add(thrown);
    while (!todo.isEmpty()) {
      Throwable t = todo.poll();
      if (!seen.add(t)) {
        continue;
      }
      if (t instanceof KubernetesClientException k && (refused(k.getCode()) || untypedPatch(k))) {
        return Optional.of(message(k));
      }
      if (t instanceof AggregatedOperatorException aggregated) {
        todo.addAll(aggregated.getAggregatedExceptions().values());
      }
      if (t.getCause() != null) {
        todo.add(t.getCause());
      }
      todo.addAll(java.util.List.of(t.getSuppressed()));
    }
    return Optional.empty();
  }

  static boolean refused(int code) {
    return code == 400 || code == 403 || code == 422;
  }

  /** Server-side apply's 500 for a patch that does not fit the object's schema. */
  private static boolean untypedPatch(KubernetesClientException e) {
    String detail =
        e.getStatus() != null && e.getStatus().getMessage() != null
            ? e.getStatus().getMessage()
            : e.getMessage();
    return e.getCode() == 500
        && detail != null
        && (detail.contains("failed to create typed patch object")
            || detail.contains("failed to convert new object"));
  }

  private static String message(KubernetesClientException e) {
    String detail =
        e.getStatus() != null && e.getStatus().getMessage() != null
            ? e.getStatus().getMessage()
            : e.getMessage();
    return "The API server refused a child of the cluster: " + detail.strip();
  }
}
