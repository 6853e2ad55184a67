package io.pgtrickle.operator.status;

import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Why one pod (a PostgresCluster member, a CDC consumer, a worker) is not coming up, as the
 * scheduler and the kubelet report it in the pod's status: the pod cannot be scheduled ({@code
 * PodScheduled=False}, reason {@code Unschedulable} and the scheduler's message, e.g. an unbound
 * volume claim or no node that fits), or a container cannot start (waiting in {@code
 * ImagePullBackOff}, {@code ErrImagePull}, {@code CrashLoopBackOff}, {@code
 * CreateContainerConfigError}, ...), or the pod failed (e.g. evicted). Pure.
 *
 * @param pod the pod's name
 * @param reason the scheduler's or kubelet's reason, as it wrote it
 * @param message its message, or a short description when it gave none
 */
public record PodBlocker(String pod, String reason, String message) {

  /** Container waiting reasons that mean it will not start by itself soon. */
  static final Set<String> WAITING_FAILURES =
      Set.of(
          "ErrImagePull",
          "ImagePullBackOff",
          "InvalidImageName",
          "ErrImageNeverPull",
          "CrashLoopBackOff",
          "CreateContainerConfigError",
          "CreateContainerError",
          "RunContainerError",
          "PreStartHookError",
          "PostStartHookError");

  /** The blocker of one pod, if its status shows one. */
  public static Optional<PodBlocker> of(Pod pod) {
    String name = pod.getMetadata().getName();
    if (pod.getMetadata().getDeletionTimestamp() != null || pod.getStatus() == null) {
      return Optional.empty();
    }
    if ("Failed".equals(pod.getStatus().getPhase())) {
      String reason = pod.getStatus().getReason();
      return Optional.of(
          new PodBlocker(
              name,
              reason == null ? "PodFailed" : reason,
              orElse(pod.getStatus().getMessage(), "the pod failed")));
    }
    List<PodCondition> conditions =
        pod.getStatus().getConditions() == null ? List.of() : pod.getStatus().getConditions();
    Optional<PodBlocker> unscheduled =
        conditions.stream()
            .filter(c -> "PodScheduled".equals(c.getType()) && "False".equals(c.getStatus()))
            .filter(c -> c.getReason() != null)
            .findFirst()
            .map(c -> new PodBlocker(name, c.getReason(), orElse(c.getMessage(), "not scheduled")));
    if (unscheduled.isPresent()) {
      return unscheduled;
    }
    return Stream.concat(
            statuses(pod.getStatus().getInitContainerStatuses()),
            statuses(pod.getStatus().getContainerStatuses()))
        .filter(s -> s.getState() != null && s.getState().getWaiting() != null)
        .filter(s -> WAITING_FAILURES.contains(s.getState().getWaiting().getReason()))
        .findFirst()
        .map(
            s ->
                new PodBlocker(
                    name,
                    s.getState().getWaiting().getReason(),
                    "container "
                        + s.getName()
                        + ": "
                        + orElse(
                            s.getState().getWaiting().getMessage(),
                            s.getState().getWaiting().getReason())));
  }

  /** The blockers of every pod that has one, in the order given. */
  public static List<PodBlocker> of(List<Pod> pods) {
    return pods.stream().map(PodBlocker::of).flatMap(Optional::stream).toList();
  }

  /** Reasons the kubelet alternates between while it retries an image pull. */
  private static final Set<String> IMAGE_PULL = Set.of("ErrImagePull", "ImagePullBackOff");

  /**
   * Whether two reasons name one trouble, so that it is reported once: equal, or both the kubelet's
   * image pull retries ({@code ErrImagePull} after each failed pull, {@code ImagePullBackOff} while
   * it waits for the next).
   */
  public static boolean sameTrouble(String a, String b) {
    return java.util.Objects.equals(a, b)
        || (a != null && b != null && IMAGE_PULL.contains(a) && IMAGE_PULL.contains(b));
  }

  /** "POD: REASON: MESSAGE", as status messages show it. */
  public String describe() {
    return pod + ": " + reason + ": " + message;
  }

  private static Stream<ContainerStatus> statuses(List<ContainerStatus> statuses) {
    return statuses == null ? Stream.empty() : statuses.stream();
  }

  private static String orElse(String text, String fallback) {
    return text == null || text.isBlank() ? fallback : text.strip();
  }
}
