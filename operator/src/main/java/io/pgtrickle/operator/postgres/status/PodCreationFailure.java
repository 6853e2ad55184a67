package io.pgtrickle.operator.postgres.status;

import io.fabric8.kubernetes.api.model.Event;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Whether the StatefulSet controller cannot create a member: it reports that only as a {@code
 * FailedCreate} Event on the StatefulSet ("Create Pod NAME-0 in StatefulSet NAME failed error:
 * ..."), never in the StatefulSet's status. Such an Event counts while the pod it names is still
 * missing and it was seen recently; the controller retries with a back-off of up to about 17
 * minutes and touches the Event on each failure. Pure.
 */
public final class PodCreationFailure {

  public static final String REASON = "PodCreationFailed";

  /** Older than this, a FailedCreate Event no longer describes the present. */
  static final Duration RECENT = Duration.ofMinutes(30);

  private PodCreationFailure() {}

  /**
   * The failure to report, if any.
   *
   * @param events FailedCreate Events of StatefulSets in the cluster's namespace
   * @param statefulSetUid the cluster's StatefulSet
   * @param missingPods names of members the StatefulSet should have but has not
   * @param now the time of the reconcile
   */
  public static Optional<ObservedCluster.Finding> among(
      Collection<Event> events,
      String statefulSetUid,
      Collection<String> missingPods,
      Instant now) {
    if (missingPods.isEmpty()) {
      return Optional.empty();
    }
    return events.stream()
        .filter(e -> "FailedCreate".equals(e.getReason()))
        .filter(
            e ->
                e.getInvolvedObject() != null
                    && Objects.equals(statefulSetUid, e.getInvolvedObject().getUid()))
        .filter(e -> e.getMessage() != null)
        .filter(e -> missingPods.stream().anyMatch(p -> e.getMessage().contains("Pod " + p + " ")))
        .filter(e -> lastSeen(e).map(t -> t.isAfter(now.minus(RECENT))).orElse(false))
        .max(Comparator.comparing(e -> lastSeen(e).orElse(Instant.EPOCH)))
        .map(
            e ->
                new ObservedCluster.Finding(
                    REASON, "The StatefulSet cannot create its pods: " + e.getMessage().strip()));
  }

  /** When the Event last happened, whichever Events API wrote it. */
  static Optional<Instant> lastSeen(Event e) {
    return Stream.of(
            e.getSeries() == null || e.getSeries().getLastObservedTime() == null
                ? null
                : e.getSeries().getLastObservedTime().getTime(),
            e.getLastTimestamp(),
            e.getEventTime() == null ? null : e.getEventTime().getTime(),
            e.getFirstTimestamp())
        .filter(t -> t != null && !t.isBlank())
        .findFirst()
        .map(Instant::parse);
  }

  /** Member names {@code NAME-0 .. NAME-(replicas-1)} not among {@code present}. */
  public static List<String> missing(String statefulSet, int replicas, Collection<String> present) {
    return java.util.stream.IntStream.range(0, replicas)
        .mapToObj(i -> statefulSet + "-" + i)
        .filter(p -> !present.contains(p))
        .toList();
  }
}
