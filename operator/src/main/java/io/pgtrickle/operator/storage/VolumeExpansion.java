package io.pgtrickle.operator.storage;

import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimCondition;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.storage.StorageClass;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Map;

/**
 * What growing one PersistentVolumeClaim to the size the spec asks for takes (Kubernetes' volume
 * expansion: the claim's {@code spec.resources.requests.storage} is raised, the storage driver's
 * resizer grows the volume, then the kubelet grows the file system, online for most drivers, and
 * {@code status.capacity} shows the new size). Volumes only grow: a claim already at or above the
 * size is left as it is. Pure.
 */
public final class VolumeExpansion {

  private VolumeExpansion() {}

  /** The verdict on one claim. */
  public sealed interface Verdict {
    /** The claim's name. */
    String claim();
  }

  /** The claim has (at least) the size asked, requested and in {@code status.capacity}. */
  public record AsWanted(String claim) implements Verdict {}

  /** Its request must be raised to {@code size}. */
  public record Expand(String claim, String size) implements Verdict {}

  /**
   * Its request is raised; the volume or its file system has not grown yet.
   *
   * @param fileSystemPendingSince since when the claim has had the condition {@code
   *     FileSystemResizePending} (the volume has grown, its file system grows when the kubelet next
   *     mounts it, or online if the driver can), its {@code lastTransitionTime}; null without it
   */
  public record Expanding(
      String claim, String capacity, String size, Instant fileSystemPendingSince)
      implements Verdict {

    /** Whether the volume has grown and only its file system waits. */
    public boolean fileSystemPending() {
      return fileSystemPendingSince != null;
    }
  }

  /** The resize failed, as the claim's status says ({@code allocatedResourceStatuses}). */
  public record Failed(String claim, String why) implements Verdict {}

  /** It cannot grow: no StorageClass, or one without {@code allowVolumeExpansion: true}. */
  public record NotExpandable(String claim, String why) implements Verdict {}

  /**
   * The verdict on {@code claim} for {@code wanted}.
   *
   * @param claim the claim as the API server has it
   * @param wanted the size asked for, a Kubernetes quantity
   * @param storageClass the claim's StorageClass, or null when it has none or it does not exist
   * @return the verdict
   */
  public static Verdict judge(
      PersistentVolumeClaim claim, String wanted, StorageClass storageClass) {
    String name = claim.getMetadata().getName();
    BigDecimal want = bytes(new Quantity(wanted));
    if (!requestBelow(claim, wanted)) {
      Quantity capacity =
          claim.getStatus() == null ? null : storage(claim.getStatus().getCapacity());
      String failure = failure(claim);
      if (failure != null) {
        return new Failed(name, failure);
      }
      if (capacity != null && bytes(capacity).compareTo(want) < 0) {
        return new Expanding(name, capacity.toString(), wanted, fileSystemPending(claim));
      }
      return new AsWanted(name);
    }
    String className = claim.getSpec().getStorageClassName();
    if (className == null || className.isEmpty()) {
      return new NotExpandable(
          name,
          "it has no StorageClass, and only volumes of a StorageClass with allowVolumeExpansion:"
              + " true can grow");
    }
    if (storageClass == null) {
      return new NotExpandable(name, "its StorageClass " + className + " does not exist");
    }
    if (!Boolean.TRUE.equals(storageClass.getAllowVolumeExpansion())) {
      return new NotExpandable(
          name,
          "its StorageClass "
              + className
              + " does not allow volume expansion (allowVolumeExpansion is not true)");
    }
    return new Expand(name, wanted);
  }

  /**
   * The smallest {@code status.capacity} among {@code claims}, as written by the API server, or
   * null when none is known (no claim bound yet).
   */
  public static String smallestCapacity(java.util.List<PersistentVolumeClaim> claims) {
    Quantity smallest = null;
    for (PersistentVolumeClaim c : claims) {
      Quantity capacity = c.getStatus() == null ? null : storage(c.getStatus().getCapacity());
      if (capacity != null
          && (smallest == null || bytes(capacity).compareTo(bytes(smallest)) < 0)) {
        smallest = capacity;
      }
    }
    return smallest == null ? null : smallest.toString();
  }

  /**
   * Whether the claim's storage request is below {@code wanted}: only then is its StorageClass
   * needed ({@link #judge} reads {@code allowVolumeExpansion}).
   */
  public static boolean requestBelow(PersistentVolumeClaim claim, String wanted) {
    Quantity requested =
        claim.getSpec().getResources() == null
            ? null
            : storage(claim.getSpec().getResources().getRequests());
    return requested == null || bytes(requested).compareTo(bytes(new Quantity(wanted))) < 0;
  }

  private static Quantity storage(Map<String, Quantity> resources) {
    return resources == null ? null : resources.get("storage");
  }

  private static BigDecimal bytes(Quantity q) {
    return Quantity.getAmountInBytes(q);
  }

  /**
   * Since when the claim's file system waits ({@code FileSystemResizePending} true), or null. A
   * condition without a readable {@code lastTransitionTime} counts from the epoch: long pending.
   */
  private static Instant fileSystemPending(PersistentVolumeClaim claim) {
    if (claim.getStatus().getConditions() == null) {
      return null;
    }
    return claim.getStatus().getConditions().stream()
        .filter(c -> "FileSystemResizePending".equals(c.getType()) && "True".equals(c.getStatus()))
        .map(c -> since(c.getLastTransitionTime()))
        .findFirst()
        .orElse(null);
  }

  private static Instant since(String timestamp) {
    try {
      return timestamp == null ? Instant.EPOCH : OffsetDateTime.parse(timestamp).toInstant();
    } catch (DateTimeParseException e) {
      return Instant.EPOCH;
    }
  }

  /**
   * Why the resize failed, from {@code status.allocatedResourceStatuses.storage} ({@code
   * ControllerResizeInfeasible}, {@code NodeResizeInfeasible}) with the message of the claim's
   * matching condition, or null.
   */
  private static String failure(PersistentVolumeClaim claim) {
    if (claim.getStatus() == null || claim.getStatus().getAllocatedResourceStatuses() == null) {
      return null;
    }
    String state = claim.getStatus().getAllocatedResourceStatuses().get("storage");
    if (state == null || !state.endsWith("Infeasible")) {
      return null;
    }
    String message =
        claim.getStatus().getConditions() == null
            ? null
            : claim.getStatus().getConditions().stream()
                .filter(c -> c.getType() != null && c.getType().endsWith("ResizeError"))
                .map(PersistentVolumeClaimCondition::getMessage)
                .filter(m -> m != null && !m.isBlank())
                .findFirst()
                .orElse(null);
    return state + (message == null ? "" : ": " + message);
  }
}
