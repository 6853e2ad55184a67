package io.pgtrickle.operator.backup;

import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.pgtrickle.operator.backup.pgbackrest.PodCommand;
import io.pgtrickle.operator.backup.spec.RestoreBootstrap;
import io.pgtrickle.operator.postgres.spec.ClusterStatefulSet;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeoutException;

/**
 * Why the restore of a cluster's first member failed, as {@code restore.sh} left it on the member's
 * volume ({@link RestoreBootstrap#failedFile(String)} of the cluster's UID: a failure of an earlier
 * cluster of the same name on a retained volume is not this one's), read through the exec API while
 * the member waits, not ready.
 */
public final class RestoreFailure {

  private static final Duration TIMEOUT = Duration.ofSeconds(10);

  private RestoreFailure() {}

  /**
   * The reason written by the restore of the cluster with {@code metadata.uid} {@code uid} in one
   * of {@code pods}, if any.
   */
  public static Optional<String> read(KubernetesClient client, List<Pod> pods, String uid) {
    String file = RestoreBootstrap.failedFile(uid);
    for (Pod pod : pods) {
      if (!running(pod)) {
        continue;
      }
      try {
        PodCommand.Result r =
            PodCommand.run(
                client,
                pod.getMetadata().getNamespace(),
                pod.getMetadata().getName(),
                ClusterStatefulSet.CONTAINER,
                TIMEOUT,
                "cat",
                file);
        if (r.ok() && !r.stdout().isBlank()) {
          return Optional.of(r.stdout().strip());
        }
      } catch (TimeoutException | RuntimeException e) {
        // Not readable now: the next round looks again.
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return Optional.empty();
      }
    }
    return Optional.empty();
  }

  private static boolean running(Pod pod) {
    if (pod.getStatus() == null || pod.getStatus().getContainerStatuses() == null) {
      return false;
    }
    return pod.getStatus().getContainerStatuses().stream()
        .filter(s -> ClusterStatefulSet.CONTAINER.equals(s.getName()))
        .map(ContainerStatus::getState)
        .anyMatch(s -> s != null && s.getRunning() != null);
  }
}
