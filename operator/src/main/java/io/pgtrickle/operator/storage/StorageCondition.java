package io.pgtrickle.operator.storage;

import io.fabric8.kubernetes.api.model.Condition;
import io.pgtrickle.operator.status.Conditions;
import java.time.Instant;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The cluster's condition {@value #TYPE}: whether every member's volume has {@code
 * spec.storage.size}, from the {@link VolumeExpansion} verdicts on the members' claims. Pure.
 *
 * <ul>
 *   <li>True, {@value #AS_SPECIFIED}: every claim has the size, requested and in its capacity;
 *   <li>False, {@value #EXPANDING}: a volume is growing (the storage driver's resizer, or its file
 *       system waiting for the pod to mount it again);
 *   <li>False, {@value #NOT_ALLOWED}: a claim cannot grow (no StorageClass, or one without {@code
 *       allowVolumeExpansion}); the message says the ways out: allow expansion, or set the size
 *       back to the volumes' ({@code status.storageSize}, the lowest the API server accepts);
 *   <li>False, {@value #FAILED}: the API server refused the larger request, or the resize failed as
 *       the claim's status says.
 * </ul>
 */
public final class StorageCondition {

  public static final String TYPE = "Storage";
  public static final String AS_SPECIFIED = "AsSpecified";
  public static final String EXPANDING = "Expanding";
  public static final String NOT_ALLOWED = "ExpansionNotAllowed";
  public static final String FAILED = "ExpansionFailed";

  private StorageCondition() {}

  /**
   * {@code conditions} with {@value #TYPE} set from the verdicts, or unchanged when there is none
   * (no claim exists yet).
   *
   * @param size {@code spec.storage.size}
   */
  public static List<Condition> with(
      List<Condition> conditions,
      List<VolumeExpansion.Verdict> verdicts,
      String size,
      long generation,
      Instant now) {
    if (verdicts.isEmpty()) {
      return conditions;
    }
    List<VolumeExpansion.Verdict> failed = of(verdicts, VolumeExpansion.Failed.class);
    List<VolumeExpansion.Verdict> refused = of(verdicts, VolumeExpansion.NotExpandable.class);
    List<VolumeExpansion.Verdict> growing =
        verdicts.stream()
            .filter(
                v -> v instanceof VolumeExpansion.Expanding || v instanceof VolumeExpansion.Expand)
            .toList();
    String reason;
    String message;
    if (!failed.isEmpty()) {
      reason = FAILED;
      message =
          "spec.storage.size is "
              + size
              + " but growing failed for "
              + describe(failed)
              + ". The members run on the volumes as they are";
    } else if (!refused.isEmpty()) {
      reason = NOT_ALLOWED;
      message =
          "spec.storage.size is "
              + size
              + " but "
              + describe(refused)
              + ". The members run on the volumes as they are. Allow expansion on the"
              + " StorageClass if its driver supports it (kubectl patch storageclass NAME -p"
              + " '{\"allowVolumeExpansion\": true}'), set spec.storage.size back to the"
              + " volumes' size (status.storageSize), or move to a new cluster with this size"
              + " (spec.restore from a backup)";
    } else if (!growing.isEmpty()) {
      reason = EXPANDING;
      message = "Growing to spec.storage.size " + size + ": " + describe(growing);
    } else {
      return Conditions.with(
          conditions,
          TYPE,
          true,
          AS_SPECIFIED,
          "Every member's volume has spec.storage.size " + size,
          generation,
          now);
    }
    return Conditions.with(conditions, TYPE, false, reason, message, generation, now);
  }

  /** Whether a claim is still growing: look again soon (claims send the operator no event). */
  public static boolean growing(List<VolumeExpansion.Verdict> verdicts) {
    return verdicts.stream()
        .anyMatch(
            v -> v instanceof VolumeExpansion.Expanding || v instanceof VolumeExpansion.Expand);
  }

  private static List<VolumeExpansion.Verdict> of(
      List<VolumeExpansion.Verdict> verdicts, Class<? extends VolumeExpansion.Verdict> kind) {
    return verdicts.stream().filter(kind::isInstance).toList();
  }

  /**
   * The verdicts in words, claims that share an explanation named together ("data-db-0 and
   * data-db-1 cannot grow: ..."), in the order first met.
   */
  private static String describe(List<VolumeExpansion.Verdict> verdicts) {
    java.util.Map<String, List<VolumeExpansion.Verdict>> byWhy = new java.util.LinkedHashMap<>();
    for (VolumeExpansion.Verdict v : verdicts) {
      byWhy.computeIfAbsent(why(v, false), k -> new java.util.ArrayList<>()).add(v);
    }
    return byWhy.values().stream()
        .map(
            group ->
                names(group.stream().map(VolumeExpansion.Verdict::claim).toList())
                    + why(group.get(0), group.size() > 1))
        .collect(Collectors.joining("; "));
  }

  private static String names(List<String> claims) {
    return claims.size() == 1
        ? claims.get(0)
        : String.join(", ", claims.subList(0, claims.size() - 1))
            + " and "
            + claims.get(claims.size() - 1);
  }

  /** What follows the claim's name (or names, {@code plural}) in the message. */
  private static String why(VolumeExpansion.Verdict v, boolean plural) {
    if (v instanceof VolumeExpansion.Expand e) {
      return " asked for " + e.size();
    }
    if (v instanceof VolumeExpansion.Expanding e) {
      if (!e.fileSystemPending()) {
        return (plural ? " have " : " has ")
            + e.capacity()
            + ", the storage driver is growing "
            + (plural ? "them" : "it");
      }
      return plural
          ? " have "
              + e.capacity()
              + ", their file systems grow when their pods mount them again (unless the kubelet"
              + " grows them online first, the operator restarts the members: replicas first, the"
              + " primary after a switchover)"
          : " has "
              + e.capacity()
              + ", its file system grows when its pod mounts it again (unless the kubelet grows"
              + " it online first, the operator restarts the member: replicas first, the primary"
              + " after a switchover)";
    }
    if (v instanceof VolumeExpansion.Failed f) {
      return ": " + f.why();
    }
    if (v instanceof VolumeExpansion.NotExpandable n) {
      return " cannot grow: "
          + (plural
              ? n.why().replaceFirst("^its ", "their ").replaceFirst("^it has ", "they have ")
              : n.why());
    }
    return plural ? " have it" : " has it";
  }
}
