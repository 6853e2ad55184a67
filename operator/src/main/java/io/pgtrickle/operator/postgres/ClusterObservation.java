package io.pgtrickle.operator.postgres;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.postgres.rollout.Member;
import io.pgtrickle.operator.postgres.rollout.ResourceComparison;
import io.pgtrickle.operator.postgres.rollout.RolloutStall;
import io.pgtrickle.operator.postgres.spec.ClusterStatefulSet;
import io.pgtrickle.operator.postgres.status.ObservedCluster;
import io.pgtrickle.operator.postgres.status.PodCreationFailure;
import io.pgtrickle.operator.status.PodBlocker;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/** What one reconcile saw of a cluster, from the informer caches: the status's input. Pure. */
final class ClusterObservation {

  private ClusterObservation() {}

  /**
   * @param statefulSet the cluster's StatefulSet, or null before it exists
   * @param pods its pods
   * @param members the same pods as rollout members
   * @param failedCreateEvents FailedCreate Events of StatefulSets in the namespace
   * @param rolloutBound how long a member on the new template may stay not ready ({@link
   *     RolloutStall})
   */
  static ObservedCluster of(
      PostgresCluster cluster,
      StatefulSet statefulSet,
      List<Pod> pods,
      List<Member> members,
      List<Event> failedCreateEvents,
      Instant now,
      Duration rolloutBound) {
    if (statefulSet == null) {
      return ObservedCluster.nothing();
    }
    String hash = desiredHash(statefulSet);
    var desiredResources = ClusterStatefulSet.resources(cluster);
    List<Member> live = members.stream().filter(m -> !m.terminating()).toList();
    int updated =
        (int)
            live.stream()
                .filter(m -> Objects.equals(m.restartHash(), hash))
                .filter(m -> ResourceComparison.equal(m.resources(), desiredResources))
                .count();
    // A primary that crashed keeps Patroni's role label until its Patroni runs again, so a
    // failover briefly shows two pods labelled primary: the ready one is the primary.
    Optional<Member> primary =
        live.stream()
            .filter(Member::primary)
            .sorted(Comparator.comparing(m -> !m.ready()))
            .findFirst();
    int readyStandbys =
        (int)
            live.stream()
                .filter(Member::ready)
                .filter(m -> primary.isEmpty() || !m.name().equals(primary.get().name()))
                .count();
    ObservedCluster observed =
        ObservedCluster.members(
                live.size(),
                (int) live.stream().filter(Member::ready).count(),
                updated,
                primary.map(Member::name).orElse(null),
                readyStandbys)
            .withBlockers(PodBlocker.of(pods))
            .withPendingRestart(
                live.stream()
                    .filter(m -> !m.pendingRestart().isEmpty())
                    .map(Member::name)
                    .sorted()
                    .toList())
            .withRollout(RolloutStall.of(pods, hash, now, rolloutBound));
    Optional<ObservedCluster.Finding> failedCreate =
        PodCreationFailure.among(
            failedCreateEvents,
            statefulSet.getMetadata().getUid(),
            PodCreationFailure.missing(
                statefulSet.getMetadata().getName(),
                statefulSet.getSpec().getReplicas(),
                members.stream().map(Member::name).toList()),
            now);
    return failedCreate.map(f -> observed.withProblem(f.reason(), f.message())).orElse(observed);
  }

  /** The template hash of the StatefulSet (the restart-hash annotation of its template). */
  static String desiredHash(StatefulSet statefulSet) {
    Map<String, String> annotations =
        statefulSet.getSpec().getTemplate().getMetadata().getAnnotations();
    return annotations == null ? null : annotations.get(ClusterNames.RESTART_HASH_ANNOTATION);
  }
}
