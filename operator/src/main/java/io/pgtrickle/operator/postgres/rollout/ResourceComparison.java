package io.pgtrickle.operator.postgres.rollout;

import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import java.math.BigDecimal;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Compares resource requirements by amount, as the API server does, not by spelling, and after its
 * defaulting: a limit without a request gets a request of the same amount. Without that a spec
 * giving only {@code limits.memory} never matched its pods (which have the defaulted request), and
 * every round resized every member again (171 Events {@code Resized} a minute, the status stuck at
 * "0 of 3 members updated").
 */
public final class ResourceComparison {

  private ResourceComparison() {}

  public static boolean equal(ResourceRequirements a, ResourceRequirements b) {
    return sameAmounts(requests(a), requests(b))
        && sameAmounts(a == null ? null : a.getLimits(), b == null ? null : b.getLimits());
  }

  /** The requests as the API server stores them: each limit without a request adds one. */
  static Map<String, Quantity> requests(ResourceRequirements r) {
    if (r == null) {
      return null;
    }
    Map<String, Quantity> requests =
        new java.util.HashMap<>(r.getRequests() == null ? Map.of() : r.getRequests());
    if (r.getLimits() != null) {
      r.getLimits().forEach(requests::putIfAbsent);
    }
    return requests;
  }

  private static boolean sameAmounts(Map<String, Quantity> a, Map<String, Quantity> b) {
    Map<String, Quantity> left = a == null ? Map.of() : a;
    Map<String, Quantity> right = b == null ? Map.of() : b;
    Set<String> keys = new HashSet<>(left.keySet());
    keys.addAll(right.keySet());
    for (String key : keys) {
      Quantity x = left.get(key);
      Quantity y = right.get(key);
      if (x == null || y == null) {
        return false;
      }
      BigDecimal ax = x.getNumericalAmount();
      BigDecimal ay = y.getNumericalAmount();
      if (ax.compareTo(ay) != 0) {
        return false;
      }
    }
    return true;
  }
}
