package io.pgtrickle.operator.storage;

import io.fabric8.kubernetes.api.model.Pod;
import io.pgtrickle.operator.postgres.spec.ClusterStatefulSet;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Which members must be restarted for their volume's file system to grow. Once the storage driver
 * has grown a volume, its claim shows {@code FileSystemResizePending} until the kubelet grows the
 * file system: online, within seconds, for drivers that can; otherwise only when a pod mounts the
 * volume again (Kubernetes' "offline" expansion). The operator waits {@link #DEFAULT_GRACE} for the
 * online way, then restarts the member through its rollout (replicas first, the primary after a
 * switchover), so a bigger {@code spec.storage.size} is never left half done. Pure.
 */
public final class FileSystemResize {

  /**
   * How long a file system may wait for an online resize before its member is restarted: kubelets
   * grow a mounted volume at their next sync of the pod, well within this.
   */
  public static final Duration DEFAULT_GRACE = Duration.ofMinutes(2);

  private static final String CLAIM_PREFIX = ClusterStatefulSet.DATA_VOLUME + "-";

  private FileSystemResize() {}

  /** Each pod's {@code creationTimestamp}, by name (pods without one are left out). */
  public static Map<String, Instant> created(List<Pod> pods) {
    Map<String, Instant> created = new HashMap<>();
    for (Pod pod : pods) {
      String timestamp = pod.getMetadata().getCreationTimestamp();
      if (timestamp != null) {
        created.put(pod.getMetadata().getName(), OffsetDateTime.parse(timestamp).toInstant());
      }
    }
    return created;
  }

  /**
   * The pods to restart: those whose data volume has waited for its file system longer than {@code
   * grace}, and that mounted it before it began to wait (a pod started since has mounted the grown
   * volume already, and a restart would not help it: its claim is then only reported).
   *
   * <p>The API server keeps both times to the second, so a pod created in the second the wait began
   * may have mounted the volume before it; it is restarted too. A pod that restart creates is later
   * than the wait by at least {@code grace}, so it is not restarted again ({@code grace} must be at
   * least a second).
   *
   * @param verdicts the verdicts of {@link MemberVolumes#expand}, on claims {@code data-POD}
   * @param podCreated each member pod's {@code creationTimestamp}, by pod name
   * @return pod names, sorted
   */
  public static Set<String> podsToRestart(
      List<VolumeExpansion.Verdict> verdicts,
      Map<String, Instant> podCreated,
      Instant now,
      Duration grace) {
    Set<String> pods = new TreeSet<>();
    for (VolumeExpansion.Verdict v : verdicts) {
      if (!(v instanceof VolumeExpansion.Expanding e)
          || !e.fileSystemPending()
          || !e.claim().startsWith(CLAIM_PREFIX)) {
        continue;
      }
      String pod = e.claim().substring(CLAIM_PREFIX.length());
      Instant created = podCreated.get(pod);
      if (created != null
          && !created.isAfter(e.fileSystemPendingSince())
          && !now.isBefore(e.fileSystemPendingSince().plus(grace))) {
        pods.add(pod);
      }
    }
    return pods;
  }
}
