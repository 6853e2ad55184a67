package io.pgtrickle.operator.status;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Kubernetes Conditions as the API conventions describe them: one entry per type, and {@code
 * lastTransitionTime} moves only when the condition's status flips, so a status rebuilt on every
 * reconcile stays byte-for-byte equal while nothing changes.
 */
public final class Conditions {

  public static final String TRUE = "True";
  public static final String FALSE = "False";
  public static final String UNKNOWN = "Unknown";

  private Conditions() {}

  /**
   * Returns a copy of {@code current} with the condition of {@code type} set; the previous
   * transition time is kept when the status did not change.
   */
  public static List<Condition> with(
      List<Condition> current,
      String type,
      boolean status,
      String reason,
      String message,
      long observedGeneration,
      Instant now) {
    return set(current, type, status ? TRUE : FALSE, reason, message, observedGeneration, now);
  }

  /**
   * The same with status {@code Unknown}: what the condition tells cannot be observed now (for
   * example replicas' streaming while there is no primary to stream from).
   */
  public static List<Condition> unknown(
      List<Condition> current,
      String type,
      String reason,
      String message,
      long observedGeneration,
      Instant now) {
    return set(current, type, UNKNOWN, reason, message, observedGeneration, now);
  }

  private static List<Condition> set(
      List<Condition> current,
      String type,
      String statusText,
      String reason,
      String message,
      long observedGeneration,
      Instant now) {
    Optional<Condition> previous = find(current, type);
    String transitionTime =
        previous
            .filter(p -> statusText.equals(p.getStatus()) && p.getLastTransitionTime() != null)
            .map(Condition::getLastTransitionTime)
            .orElse(now.truncatedTo(ChronoUnit.SECONDS).toString());
    Condition condition =
        new ConditionBuilder()
            .withType(type)
            .withStatus(statusText)
            .withReason(reason)
            .withMessage(message)
            .withObservedGeneration(observedGeneration)
            .withLastTransitionTime(transitionTime)
            .build();
    List<Condition> result = new ArrayList<>();
    boolean replaced = false;
    for (Condition c : current == null ? List.<Condition>of() : current) {
      if (type.equals(c.getType())) {
        result.add(condition);
        replaced = true;
      } else {
        result.add(c);
      }
    }
    if (!replaced) {
      result.add(condition);
    }
    return result;
  }

  /** Returns {@code current} without the condition of {@code type} (the same list when absent). */
  public static List<Condition> without(List<Condition> current, String type) {
    if (find(current, type).isEmpty()) {
      return current;
    }
    return current.stream().filter(c -> !Objects.equals(type, c.getType())).toList();
  }

  public static Optional<Condition> find(List<Condition> conditions, String type) {
    if (conditions == null) {
      return Optional.empty();
    }
    return conditions.stream().filter(c -> Objects.equals(type, c.getType())).findFirst();
  }

  public static boolean isTrue(List<Condition> conditions, String type) {
    return find(conditions, type).map(c -> TRUE.equals(c.getStatus())).orElse(false);
  }
}
