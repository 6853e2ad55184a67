package io.pgtrickle.operator.backup;

import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobCondition;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * What a backup Job came to, from its status and its pods as the Job controller and the kubelet
 * report them. Pure.
 *
 * @param state running, succeeded or failed (for good: the Job controller gave up)
 * @param reason the Job's failure reason ({@code BackoffLimitExceeded}, {@code DeadlineExceeded}),
 *     or null
 * @param message for people: for a failure, how many pods failed and the last one's exit code and
 *     termination message (the last lines of its log, {@code FallbackToLogsOnError}); for a Job
 *     that runs again after failed pods, its attempt out of {@code 1 + backoffLimit} and the last
 *     failure, e.g. {@code backup Job b-2 is running (attempt 2 of 4; pod b-2-x7k exited 1: ERROR:
 *     [049]: ...)}
 */
public record JobOutcome(State state, String reason, String message) {

  /** Where a Job is. */
  public enum State {
    RUNNING,
    SUCCEEDED,
    FAILED
  }

  /** The most characters of a pod's termination message a status message carries. */
  static final int TAIL_CHARS = 600;

  /**
   * @param job the Job
   * @param pods its pods (any order; may be empty once they were cleaned up)
   */
  public static JobOutcome of(Job job, List<Pod> pods) {
    String name = job.getMetadata().getName();
    if (condition(job, "Complete").isPresent()) {
      return new JobOutcome(State.SUCCEEDED, null, "backup Job " + name + " completed");
    }
    Optional<JobCondition> failed = condition(job, "Failed");
    int failures =
        job.getStatus() == null || job.getStatus().getFailed() == null
            ? 0
            : job.getStatus().getFailed();
    if (failed.isEmpty()) {
      return new JobOutcome(State.RUNNING, null, running(job, failures, pods));
    }
    StringBuilder message = new StringBuilder("backup Job ").append(name).append(" failed");
    if (failed.get().getReason() != null) {
      message.append(" (").append(failed.get().getReason());
      if (failed.get().getMessage() != null) {
        message.append(": ").append(failed.get().getMessage());
      }
      message.append(')');
    }
    message.append(" after ").append(failures).append(failures == 1 ? " attempt" : " attempts");
    lastFailure(pods).ifPresent(m -> message.append("; ").append(m));
    return new JobOutcome(State.FAILED, failed.get().getReason(), message.toString());
  }

  /** "backup Job X is running", with the attempt and the last failure once a pod failed. */
  private static String running(Job job, int failures, List<Pod> pods) {
    StringBuilder message =
        new StringBuilder("backup Job ").append(job.getMetadata().getName()).append(" is running");
    if (failures > 0) {
      Integer limit = job.getSpec() == null ? null : job.getSpec().getBackoffLimit();
      message.append(" (attempt ").append(failures + 1);
      if (limit != null) {
        message.append(" of ").append(limit + 1);
      }
      lastFailure(pods).ifPresent(m -> message.append("; ").append(m));
      message.append(')');
    }
    return message.toString();
  }

  /** Whether the Job has finished, either way. */
  public boolean finished() {
    return state != State.RUNNING;
  }

  private static Optional<JobCondition> condition(Job job, String type) {
    if (job.getStatus() == null || job.getStatus().getConditions() == null) {
      return Optional.empty();
    }
    return job.getStatus().getConditions().stream()
        .filter(c -> type.equals(c.getType()) && "True".equals(c.getStatus()))
        .findFirst();
  }

  /** The newest failed pod's container: "pod P exited N: last lines". */
  private static Optional<String> lastFailure(List<Pod> pods) {
    return pods.stream()
        .filter(p -> p.getStatus() != null && "Failed".equals(p.getStatus().getPhase()))
        .max(Comparator.comparing(p -> String.valueOf(p.getMetadata().getCreationTimestamp())))
        .map(JobOutcome::describe);
  }

  private static String describe(Pod pod) {
    String name = pod.getMetadata().getName();
    List<ContainerStatus> statuses = pod.getStatus().getContainerStatuses();
    ContainerStateTerminated terminated =
        statuses == null || statuses.isEmpty() || statuses.get(0).getState() == null
            ? null
            : statuses.get(0).getState().getTerminated();
    if (terminated == null) {
      String why = pod.getStatus().getMessage() != null ? pod.getStatus().getMessage() : "";
      return "pod " + name + " failed" + (why.isBlank() ? "" : ": " + tail(why));
    }
    String text = terminated.getMessage() == null ? "" : tail(terminated.getMessage());
    return "pod "
        + name
        + " exited "
        + terminated.getExitCode()
        + (text.isBlank() ? "" : ": " + text);
  }

  /**
   * Three lines joined by " | ", at most {@link #TAIL_CHARS} characters: from pgBackRest's last
   * {@code ERROR:} line when there is one (an error's details may follow it), else the last three.
   */
  static String tail(String text) {
    String[] lines = text.strip().split("\n");
    int from = Math.max(0, lines.length - 3);
    for (int i = lines.length - 1; i >= 0; i--) {
      if (lines[i].contains("ERROR:")) {
        from = i;
        break;
      }
    }
    StringBuilder tail = new StringBuilder();
    for (int i = from; i < Math.min(lines.length, from + 3); i++) {
      tail.append(tail.length() == 0 ? "" : " | ").append(lines[i].strip());
    }
    return tail.length() > TAIL_CHARS
        ? tail.substring(tail.length() - TAIL_CHARS)
        : tail.toString();
  }
}
