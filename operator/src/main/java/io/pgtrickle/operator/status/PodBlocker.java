package io.pgtrickle.operator.status;

import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import java.time.Duration;
import java.time.Instant;
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

  /** The kubelet's reason for a container it restarts again and again. */
  public static final String CRASH_LOOP = "CrashLoopBackOff";

  /**
   * How long after its last end a restarted container still counts as crash-looping: the kubelet
   * forgets a container's back-off once it has run this long (twice its 5-minute maximum).
   */
  public static final Duration CRASH_LOOP_WINDOW = Duration.ofMinutes(10);

  /**
   * The blockers of every pod that has one, a crash loop seen as one trouble for as long as it
   * lasts: a container not ready that ended within {@link #CRASH_LOOP_WINDOW} and was restarted is
   * {@value #CRASH_LOOP} also while it runs again (not ready yet) or has just ended, not only while
   * the kubelet waits to restart it; the message counts the restarts and tells the last end (exit
   * code, reason, time). {@link #of(List)} reads the kubelet's waiting reason alone, so a
   * crash-looping container's trouble came and went with every restart.
   *
   * @param pods the pods
   * @param now the time to measure the window from
   */
  public static List<PodBlocker> of(List<Pod> pods, Instant now) {
    return pods.stream().map(p -> of(p, now)).flatMap(Optional::stream).toList();
  }

  /** {@link #of(List, Instant)} for one pod. */
  public static Optional<PodBlocker> of(Pod pod, Instant now) {
    Optional<PodBlocker> blocker = of(pod);
    if (pod.getMetadata().getDeletionTimestamp() != null || pod.getStatus() == null) {
      return blocker;
    }
    if (blocker.isPresent() && !CRASH_LOOP.equals(blocker.get().reason())) {
      return blocker;
    }
    // An init container that ended is done, not crashing: only the kubelet's reason counts there.
    return Stream.concat(
            statuses(pod.getStatus().getInitContainerStatuses())
                .filter(PodBlocker::waitingToRestart),
            statuses(pod.getStatus().getContainerStatuses()).filter(s -> crashLooping(s, now)))
        .findFirst()
        .map(s -> new PodBlocker(pod.getMetadata().getName(), CRASH_LOOP, crashMessage(s)))
        .or(() -> blocker);
  }

  /** Waiting in CrashLoopBackOff; or not ready, restarted, and ended last within the window. */
  private static boolean crashLooping(ContainerStatus s, Instant now) {
    if (waitingToRestart(s)) {
      return true;
    }
    if (Boolean.TRUE.equals(s.getReady())
        || s.getRestartCount() == null
        || s.getRestartCount() == 0) {
      return false;
    }
    ContainerStateTerminated end = lastEnd(s);
    Instant at = end == null ? null : time(end.getFinishedAt());
    return at != null && !at.plus(CRASH_LOOP_WINDOW).isBefore(now);
  }

  private static boolean waitingToRestart(ContainerStatus s) {
    return s.getState() != null
        && s.getState().getWaiting() != null
        && CRASH_LOOP.equals(s.getState().getWaiting().getReason());
  }

  /** "container C: restarted N times, last exit code X (Reason) at T; now ..." */
  private static String crashMessage(ContainerStatus s) {
    StringBuilder m = new StringBuilder("container ").append(s.getName()).append(": ");
    int restarts = s.getRestartCount() == null ? 0 : s.getRestartCount();
    m.append("restarted ").append(restarts).append(restarts == 1 ? " time" : " times");
    ContainerStateTerminated end = lastEnd(s);
    if (end != null) {
      m.append(", last exit code ").append(end.getExitCode());
      if (end.getReason() != null) {
        m.append(" (").append(end.getReason()).append(")");
      }
      if (end.getFinishedAt() != null) {
        m.append(" at ").append(end.getFinishedAt());
      }
      String last = lastLine(end.getMessage());
      if (last != null) {
        m.append(": \"").append(last).append('"');
      }
    }
    var state = s.getState();
    if (state != null && state.getWaiting() != null) {
      m.append("; ")
          .append(orElse(state.getWaiting().getMessage(), "waiting to restart it (back-off)"));
    } else if (state != null && state.getRunning() != null) {
      m.append("; running again")
          .append(
              state.getRunning().getStartedAt() == null
                  ? ""
                  : " since " + state.getRunning().getStartedAt())
          .append(", not ready");
    } else {
      m.append("; ended, to be restarted");
    }
    return m.toString();
  }

  /** The longest part of a termination message a condition quotes. */
  static final int MESSAGE_QUOTED = 200;

  /**
   * The last line of a termination message that is not blank, at most {@link #MESSAGE_QUOTED}
   * characters (its end, where the cause is), or null: with {@code FallbackToLogsOnError} the
   * kubelet puts the end of the log there, whose last line says why the program stopped.
   */
  static String lastLine(String message) {
    if (message == null) {
      return null;
    }
    String[] lines = message.strip().split("\\R");
    String last = lines[lines.length - 1].strip();
    if (last.isEmpty()) {
      return null;
    }
    return last.length() <= MESSAGE_QUOTED
        ? last
        : "..." + last.substring(last.length() - MESSAGE_QUOTED);
  }

  /** The container's last end: now if it has ended, else the one before its current run. */
  private static ContainerStateTerminated lastEnd(ContainerStatus s) {
    if (s.getState() != null && s.getState().getTerminated() != null) {
      return s.getState().getTerminated();
    }
    return s.getLastState() == null ? null : s.getLastState().getTerminated();
  }

  private static Instant time(String rfc3339) {
    try {
      return rfc3339 == null ? null : Instant.parse(rfc3339);
    } catch (java.time.format.DateTimeParseException e) {
      return null;
    }
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
