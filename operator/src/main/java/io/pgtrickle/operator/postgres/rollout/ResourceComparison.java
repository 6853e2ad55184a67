package io.pgtrickle.operator.postgres.rollout;

import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import java.math.BigDecimal;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/** Compares resource requirements by amount, as the API server does, not by spelling. */
public final class ResourceComparison {

  private ResourceComparison() {}

  public static boolean equal(ResourceRequirements a, ResourceRequirements b) {
    return sameAmounts(a == null ? null : a.getRequests(), b == null ? null : b.getRequests())
        && sameAmounts(a == null ? null : a.getLimits(), b == null ? null : b.getLimits());
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
