package io.pgtrickle.operator.postgres.rollout;

import io.fabric8.kubernetes.api.model.ResourceRequirements;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Decides the next rollout step from the members and the desired template. Pure: the reconciler
 * carries the step out and comes back.
 *
 * <p>Order: replicas first (highest ordinal first), the primary last and only after a switchover to
 * an up-to-date ready replica, so the cluster loses its primary at most for a switchover.
 * Resource-only changes are resized in place when the API server supports it.
 *
 * <p>A step waits while a member is not ready, so that a broken template (an image that does not
 * start, a major that cannot read the data) stops at the first member it reaches. Except for a
 * member that is not ready <em>and</em> runs an outdated template: it is replaced at once, since
 * waiting for it could wait forever. That is what lets a fixed spec heal a cluster broken by the
 * previous one: the members the broken template reached are outdated again and never became ready.
 * Outdated resources count too (the template hash leaves them out, for resizing in place): a member
 * left Pending by a request no node can meet is not resized but replaced. (A primary is never left
 * on a broken template: it is restarted last, after a switchover to an updated ready replica; a
 * primary that is down is Patroni's and the fast failover's business, not the rollout's.)
 */
public final class RolloutPlanner {

  private RolloutPlanner() {}

  /**
   * The next step.
   *
   * @param members the pods there are now
   * @param expectedMembers how many the StatefulSet should have: while one is missing (deleted and
   *     not yet created again, or still being created), the members seen are not the whole cluster,
   *     and a step taken on them could restart a primary whose replica is missing
   * @param desiredHash the template hash of the StatefulSet
   * @param desiredResources the PostgreSQL container's resources of the template
   * @param inPlaceResize whether the API server resizes pods in place
   */
  public static RolloutAction next(
      List<Member> members,
      int expectedMembers,
      String desiredHash,
      ResourceRequirements desiredResources,
      boolean inPlaceResize) {
    return next(members, expectedMembers, desiredHash, desiredResources, inPlaceResize, Set.of());
  }

  /**
   * The next step, when some members also need a new pod for another reason than their template.
   *
   * @param remount members to restart although their template is current: their volume's file
   *     system grows only when a pod mounts it again ({@link
   *     io.pgtrickle.operator.storage.FileSystemResize}); restarted in the same order as outdated
   *     ones
   */
  public static RolloutAction next(
      List<Member> members,
      int expectedMembers,
      String desiredHash,
      ResourceRequirements desiredResources,
      boolean inPlaceResize,
      Set<String> remount) {
    return next(
        members, expectedMembers, desiredHash, desiredResources, inPlaceResize, remount, Set.of());
  }

  /**
   * The next step, when the API server refused to resize some members in place.
   *
   * @param notResizable members whose in-place resize to {@code desiredResources} the API server
   *     refused (e.g. "Pod QOS Class may not change as a result of resizing", when requests are
   *     added to a pod that had none): they get the new resources from a new pod, in the rollout's
   *     order. Before, each was restarted as soon as its resize was refused, all members at once,
   *     the primary included and without a switchover.
   */
  public static RolloutAction next(
      List<Member> members,
      int expectedMembers,
      String desiredHash,
      ResourceRequirements desiredResources,
      boolean inPlaceResize,
      Set<String> remount,
      Set<String> notResizable) {
    if (members.stream().anyMatch(Member::terminating)) {
      return new RolloutAction.Wait("waiting for a member to be replaced");
    }
    if (members.size() < expectedMembers) {
      return new RolloutAction.Wait("waiting for every member to exist");
    }
    Optional<Member> stuck =
        members.stream()
            .filter(m -> !m.ready() && !m.primary())
            .filter(
                m ->
                    !Objects.equals(m.restartHash(), desiredHash)
                        || !sameResources(m.resources(), desiredResources)
                        || remount.contains(m.name()))
            .max(Comparator.comparingInt(Member::ordinal));
    if (stuck.isPresent()) {
      return new RolloutAction.Restart(stuck.get().name());
    }
    if (members.stream().anyMatch(m -> !m.ready())) {
      return new RolloutAction.Wait("waiting for every member to be ready");
    }
    List<String> resize =
        members.stream()
            .filter(m -> Objects.equals(m.restartHash(), desiredHash))
            .filter(m -> !sameResources(m.resources(), desiredResources))
            .map(Member::name)
            .toList();
    List<String> inPlace = resize.stream().filter(m -> !notResizable.contains(m)).toList();
    if (inPlaceResize && !inPlace.isEmpty()) {
      return new RolloutAction.Resize(inPlace);
    }
    List<Member> outdated =
        members.stream()
            .filter(
                m ->
                    !Objects.equals(m.restartHash(), desiredHash)
                        || ((!inPlaceResize || notResizable.contains(m.name()))
                            && resize.contains(m.name()))
                        || remount.contains(m.name()))
            .sorted(
                Comparator.comparing(Member::primary)
                    .thenComparing(Member::ordinal, Comparator.reverseOrder()))
            .toList();
    if (outdated.isEmpty()) {
      return pendingRestart(members).orElse(new RolloutAction.Done());
    }
    Member next = outdated.get(0);
    if (next.primary() && members.size() > 1) {
      Optional<Member> candidate =
          members.stream()
              .filter(m -> !m.primary() && m.ready())
              .filter(m -> !outdated.contains(m))
              .min(Comparator.comparingInt(Member::ordinal));
      if (candidate.isPresent()) {
        return new RolloutAction.Switchover(next.name(), candidate.get().name());
      }
    }
    return new RolloutAction.Restart(next.name());
  }

  /**
   * Parameters a standby must run with at least the primary's values (PostgreSQL's "hot standby is
   * not possible because of insufficient parameter settings"). Patroni starts a replica with the
   * higher of its configured value and the primary's (from {@code pg_controldata}), so lowering one
   * takes effect on a replica only after the primary runs with the lower value.
   */
  static final Set<String> HOT_STANDBY_MINIMUMS =
      Set.of(
          "max_connections",
          "max_locks_per_transaction",
          "max_prepared_transactions",
          "max_wal_senders",
          "max_worker_processes");

  /**
   * A restart in place of one member whose PostgreSQL waits for one to apply parameters ({@code
   * pending_restart}, e.g. after {@code max_connections} or {@code shared_buffers} changed in
   * {@code spec.postgresqlParams}): replicas first (highest ordinal first), the primary last, in
   * place through Patroni (a few seconds without writes, no failover), since a primary that is
   * switched over and restarted as a replica keeps the higher values of {@link
   * #HOT_STANDBY_MINIMUMS}. A replica waiting to lower one of those (whatever else waits) waits for
   * the primary, and then until it has replayed the primary's WAL since (which carries the
   * primary's new values into the replica's control file): restarted before, Patroni would start it
   * with the primary's old, higher value, and then report nothing pending.
   */
  static Optional<RolloutAction> pendingRestart(List<Member> members) {
    Optional<Member> primary = members.stream().filter(Member::primary).findFirst();
    boolean primaryPending = primary.isPresent() && !primary.get().pendingRestart().isEmpty();
    List<Member> replicas =
        members.stream()
            .filter(m -> !m.primary() && !m.pendingRestart().isEmpty())
            .sorted(Comparator.comparingInt((Member m) -> m.ordinal()).reversed())
            .toList();
    for (Member replica : replicas) {
      if (!lowersAHotStandbyMinimum(replica)) {
        return Optional.of(restart(replica));
      }
      if (!primaryPending && primary.isPresent() && replayed(replica, primary.get())) {
        return Optional.of(restart(replica));
      }
    }
    if (primaryPending) {
      return Optional.of(restart(primary.get()));
    }
    if (!replicas.isEmpty()) {
      return Optional.of(
          new RolloutAction.Wait(
              "waiting for " + replicas.get(0).name() + " to replay the primary's new settings"));
    }
    return Optional.empty();
  }

  private static RolloutAction restart(Member m) {
    return new RolloutAction.RestartPostgres(m.name(), describe(m));
  }

  private static boolean replayed(Member replica, Member primary) {
    return replica.walPosition() != null
        && primary.walPosition() != null
        && replica.walPosition() >= primary.walPosition();
  }

  /**
   * Whether {@code m} waits to lower one of {@link #HOT_STANDBY_MINIMUMS}: restarted before the
   * primary, it would keep the primary's value of that one and need a second restart for it, so it
   * waits for the primary even when other parameters wait too (a user trial, 2026-12-07: a scale
   * from 3 to 2 members, lowering {@code max_wal_senders} and {@code max_replication_slots},
   * restarted the replica, the primary, then the replica again; it was "only lowers" then).
   */
  private static boolean lowersAHotStandbyMinimum(Member m) {
    for (Map.Entry<String, List<String>> change : m.pendingRestart().entrySet()) {
      if (HOT_STANDBY_MINIMUMS.contains(change.getKey())
          && !(number(change.getValue().get(1)) >= number(change.getValue().get(0)))) {
        return true;
      }
    }
    return false;
  }

  private static double number(String value) {
    try {
      return Double.parseDouble(value.trim());
    } catch (NumberFormatException e) {
      return Double.NaN; // compares false: taken as lowering, the safe side
    }
  }

  private static String describe(Member m) {
    List<String> parts = new ArrayList<>();
    m.pendingRestart()
        .forEach(
            (name, values) ->
                parts.add(
                    name.isEmpty()
                        ? "parameters Patroni did not name"
                        : name + " " + values.get(0) + " → " + values.get(1)));
    return String.join(", ", parts);
  }

  /**
   * Before scaling down to {@code desiredReplicas}: the StatefulSet removes the highest ordinals,
   * so a primary among them is first switched over to a member that stays.
   */
  public static Optional<RolloutAction.Switchover> beforeScaleDown(
      List<Member> members, int desiredReplicas) {
    Optional<Member> primary = members.stream().filter(Member::primary).findFirst();
    if (primary.isEmpty() || primary.get().ordinal() < desiredReplicas) {
      return Optional.empty();
    }
    return members.stream()
        .filter(m -> m.ordinal() < desiredReplicas && m.ready() && !m.primary())
        .min(Comparator.comparingInt(Member::ordinal))
        .map(m -> new RolloutAction.Switchover(primary.get().name(), m.name()));
  }

  /**
   * A switchover the user asked for with the {@code postgres.example.com/switchover-to} annotation:
   * due while the named member is ready and not yet the primary. Once it is primary the request is
   * fulfilled, so the annotation can stay in place.
   */
  public static Optional<RolloutAction.Switchover> requested(List<Member> members, String target) {
    if (target == null || target.isBlank()) {
      return Optional.empty();
    }
    Optional<Member> primary = members.stream().filter(Member::primary).findFirst();
    Optional<Member> candidate =
        members.stream().filter(m -> m.name().equals(target.trim()) && m.ready()).findFirst();
    if (primary.isEmpty() || candidate.isEmpty() || candidate.get().primary()) {
      return Optional.empty();
    }
    return Optional.of(new RolloutAction.Switchover(primary.get().name(), candidate.get().name()));
  }

  /** Whether the member {@code target} already leads, so a switchover to it is done. */
  public static boolean fulfilled(List<Member> members, String target) {
    return members.stream()
        .anyMatch(m -> m.primary() && m.ready() && m.name().equals(target.trim()));
  }

  /** Resources compared by value, so 1000m equals 1 and an absent map equals an empty one. */
  static boolean sameResources(ResourceRequirements a, ResourceRequirements b) {
    return ResourceComparison.equal(a, b);
  }
}
