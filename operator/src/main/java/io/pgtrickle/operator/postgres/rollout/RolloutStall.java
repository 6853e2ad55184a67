package io.pgtrickle.operator.postgres.rollout;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.pgtrickle.operator.postgres.ClusterNames;
import io.pgtrickle.operator.postgres.patroni.PatroniMemberData;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Whether a rollout has stopped progressing: a member on the desired template (restarted by the
 * rollout, or since) that has not been ready for {@link #DEFAULT_BOUND} or longer. {@link
 * RolloutPlanner#next} waits for such a member and restarts no other one, rightly (the next member
 * would most likely get stuck the same way), but waiting forever in silence leaves the user with a
 * cluster at "2/3 Updating" and no clue; this names the member, since when it waits and what its
 * Patroni says, as Kubernetes' {@code Progressing=False ProgressDeadlineExceeded} does for a
 * Deployment. Pure: the time is given.
 *
 * <p>"Not ready since" is read from the pod, so an operator restart does not restart the wait: the
 * later of its creation (a member the rollout restarted is a new pod) and the last transition of
 * its Ready condition to False.
 */
public final class RolloutStall {

  /**
   * How long a member on the new template may stay not ready before the rollout is reported
   * stalled. A restart keeps the member's volume, so PostgreSQL starts with crash recovery at most
   * and Patroni's {@code pg_rewind} after a switchover takes seconds; 5 minutes is Strimzi's
   * operation timeout for a rolled pod to become ready. Crossing it changes nothing but the status
   * and one Event: the rollout keeps waiting.
   */
  public static final Duration DEFAULT_BOUND = Duration.ofMinutes(5);

  /** The reason (phase, {@code Progressing} condition) and the Warning Event's. */
  public static final String REASON = "RolloutStalled";

  private RolloutStall() {}

  /** What a look at the members found. */
  public sealed interface Verdict {}

  /** No member on the desired template is waited for. */
  public record Settled() implements Verdict {}

  /** A member on the desired template is not ready yet, within the bound: look again then. */
  public record Waiting(String pod, Duration remaining) implements Verdict {}

  /** Members on the desired template past the bound, in ordinal order. */
  public record Stalled(List<StalledMember> members, Duration bound) implements Verdict {

    public Stalled {
      members = List.copyOf(members);
    }

    /**
     * For the status and the Event. Stable while nothing changes (not the growing wait: the
     * condition's {@code lastTransitionTime} tells since when it is stalled), so the status is not
     * rewritten at every reconcile.
     */
    public String describe() {
      return "Rollout stalled: "
          + members.stream().map(m -> m.describe(bound)).collect(Collectors.joining("; "))
          + ". The rollout waits and restarts no other member until "
          + (members.size() == 1 ? "it is" : "they are")
          + " ready; a member on an outdated template would be replaced at once, so fixing the"
          + " spec heals it";
    }
  }

  /**
   * One member the rollout waits for.
   *
   * @param pod the pod's name
   * @param notReadySince since when it has not been ready
   * @param patroni what its Patroni publishes about it, e.g. {@code state "starting", role
   *     replica}, or that it publishes nothing
   */
  public record StalledMember(String pod, Instant notReadySince, String patroni) {

    String describe(Duration bound) {
      return pod
          + " runs the new template and has not been ready for over "
          + human(bound)
          + " (not ready since "
          + notReadySince.truncatedTo(ChronoUnit.SECONDS)
          + "); Patroni on it: "
          + patroni;
    }
  }

  /**
   * The verdict on a cluster's pods.
   *
   * @param pods the cluster's pods
   * @param desiredHash the template hash of the StatefulSet
   * @param now the time of this look
   * @param bound how long a member may stay not ready ({@link #DEFAULT_BOUND} in the operator)
   */
  public static Verdict of(List<Pod> pods, String desiredHash, Instant now, Duration bound) {
    if (desiredHash == null) {
      return new Settled();
    }
    List<Pod> waitedFor =
        pods.stream()
            .filter(p -> p.getMetadata().getDeletionTimestamp() == null)
            .filter(p -> desiredHash.equals(restartHash(p)))
            .filter(p -> !ready(p))
            .sorted(Comparator.comparingInt(p -> Member.ordinal(p.getMetadata().getName())))
            .toList();
    if (waitedFor.isEmpty()) {
      return new Settled();
    }
    List<StalledMember> stalled =
        waitedFor.stream()
            .filter(p -> !notReadySince(p, now).plus(bound).isAfter(now))
            .map(
                p ->
                    new StalledMember(p.getMetadata().getName(), notReadySince(p, now), patroni(p)))
            .toList();
    if (!stalled.isEmpty()) {
      return new Stalled(stalled, bound);
    }
    Pod first =
        waitedFor.stream().min(Comparator.comparing(p -> notReadySince(p, now))).orElseThrow();
    return new Waiting(
        first.getMetadata().getName(),
        Duration.between(now, notReadySince(first, now).plus(bound)));
  }

  /**
   * The later of the pod's creation and its Ready condition's last turn to False; {@code now} when
   * the pod says neither.
   */
  static Instant notReadySince(Pod pod, Instant now) {
    Optional<Instant> created = instant(pod.getMetadata().getCreationTimestamp());
    Optional<Instant> turnedFalse =
        readyCondition(pod)
            .filter(c -> "False".equals(c.getStatus()))
            .flatMap(c -> instant(c.getLastTransitionTime()));
    return Stream.of(created, turnedFalse)
        .flatMap(Optional::stream)
        .max(Comparator.naturalOrder())
        .orElse(now);
  }

  /**
   * Patroni's {@code state} and {@code role} from the pod's member data, as the message says it.
   */
  static String patroni(Pod pod) {
    Map<String, Object> data = PatroniMemberData.of(pod);
    Object state = data.get("state");
    if (state == null) {
      return "no state published (Patroni has not started, or cannot reach the API server)";
    }
    Object role = data.get("role");
    return "state \"" + state + "\"" + (role == null ? "" : ", role " + role);
  }

  private static boolean ready(Pod pod) {
    return readyCondition(pod).map(c -> "True".equals(c.getStatus())).orElse(false);
  }

  private static Optional<PodCondition> readyCondition(Pod pod) {
    if (pod.getStatus() == null || pod.getStatus().getConditions() == null) {
      return Optional.empty();
    }
    return pod.getStatus().getConditions().stream()
        .filter(c -> "Ready".equals(c.getType()))
        .findFirst();
  }

  private static String restartHash(Pod pod) {
    Map<String, String> annotations = pod.getMetadata().getAnnotations();
    return annotations == null ? null : annotations.get(ClusterNames.RESTART_HASH_ANNOTATION);
  }

  private static Optional<Instant> instant(String timestamp) {
    if (timestamp == null || timestamp.isBlank()) {
      return Optional.empty();
    }
    try {
      return Optional.of(Instant.parse(timestamp));
    } catch (DateTimeParseException e) {
      return Optional.empty();
    }
  }

  /** "5 min", "90 s". */
  static String human(Duration d) {
    long seconds = d.toSeconds();
    return seconds % 60 == 0 ? seconds / 60 + " min" : seconds + " s";
  }
}
