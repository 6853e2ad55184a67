package io.pgtrickle.operator.postgres.rollout;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RolloutPlannerTest {

  private static final ResourceRequirements SMALL =
      new ResourceRequirementsBuilder().addToRequests("cpu", new Quantity("1")).build();
  private static final ResourceRequirements SMALL_MILLIS =
      new ResourceRequirementsBuilder().addToRequests("cpu", new Quantity("1000m")).build();
  private static final ResourceRequirements LARGE =
      new ResourceRequirementsBuilder().addToRequests("cpu", new Quantity("2")).build();

  static Member member(int ordinal, boolean primary, String hash, ResourceRequirements resources) {
    return new Member(
        "db-" + ordinal, ordinal, true, false, primary, hash, resources, "127.0.0." + ordinal);
  }

  static Member pending(int ordinal, boolean primary, Map<String, List<String>> parameters) {
    return pending(ordinal, primary, parameters, 100L);
  }

  static Member pending(
      int ordinal, boolean primary, Map<String, List<String>> parameters, Long walPosition) {
    return new Member(
        "db-" + ordinal,
        ordinal,
        true,
        false,
        primary,
        "h",
        SMALL,
        "127.0.0." + ordinal,
        parameters,
        walPosition);
  }

  /** Parameters waiting for a restart: replicas first, then the primary, in place. */
  @Test
  void pendingRestartsGoReplicasFirstThenThePrimaryInPlace() {
    Map<String, List<String>> buffers = Map.of("shared_buffers", List.of("128MB", "256MB"));
    List<Member> all = List.of(pending(0, true, buffers), pending(1, false, buffers));
    assertThat(next(all, "h", SMALL, true))
        .isEqualTo(new RolloutAction.RestartPostgres("db-1", "shared_buffers 128MB → 256MB"));
    List<Member> primaryOnly = List.of(pending(0, true, buffers), member(1, false, "h", SMALL));
    assertThat(next(primaryOnly, "h", SMALL, true))
        .isEqualTo(new RolloutAction.RestartPostgres("db-0", "shared_buffers 128MB → 256MB"));
    // Raising max_connections: replicas first too (Patroni starts them with the higher value).
    Map<String, List<String>> raise = Map.of("max_connections", List.of("100", "150"));
    assertThat(next(List.of(pending(0, true, raise), pending(1, false, raise)), "h", SMALL, true))
        .isEqualTo(new RolloutAction.RestartPostgres("db-1", "max_connections 100 → 150"));
    // Patroni said a restart waits but not for what.
    assertThat(
            next(
                List.of(
                    member(0, true, "h", SMALL),
                    pending(1, false, Member.pendingRestart(Map.of("pending_restart", true)))),
                "h",
                SMALL,
                true))
        .isEqualTo(new RolloutAction.RestartPostgres("db-1", "parameters Patroni did not name"));
  }

  /**
   * Lowering max_connections: a replica restarted before the primary keeps the primary's higher
   * value (PostgreSQL's hot standby minimum, which Patroni honours) and would wait again, for ever.
   */
  @Test
  void loweringAHotStandbyMinimumRestartsThePrimaryFirst() {
    Map<String, List<String>> lower = Map.of("max_connections", List.of("150", "100"));
    assertThat(next(List.of(pending(0, true, lower), pending(1, false, lower)), "h", SMALL, true))
        .isEqualTo(new RolloutAction.RestartPostgres("db-0", "max_connections 150 → 100"));
    // The primary restarted: the replica follows once it replayed the primary's WAL since.
    Member restarted = pending(0, true, Map.of(), 200L);
    assertThat(next(List.of(restarted, pending(1, false, lower, 150L)), "h", SMALL, true))
        .isInstanceOf(RolloutAction.Wait.class);
    assertThat(next(List.of(restarted, pending(1, false, lower, 200L)), "h", SMALL, true))
        .isEqualTo(new RolloutAction.RestartPostgres("db-1", "max_connections 150 → 100"));
    // With another parameter waiting too, the primary still goes first: a replica restarted before
    // it would need a second restart for max_connections (a scale from 3 to 2 members lowers
    // max_wal_senders and max_replication_slots: replica, primary, replica again until 2026-12-07).
    Map<String, List<String>> mixed =
        Map.of(
            "max_wal_senders", List.of("13", "12"), "max_replication_slots", List.of("13", "12"));
    assertThat(next(List.of(pending(0, true, mixed), pending(1, false, mixed)), "h", SMALL, true))
        .isInstanceOf(RolloutAction.RestartPostgres.class)
        .extracting(a -> ((RolloutAction.RestartPostgres) a).pod())
        .isEqualTo("db-0");
    assertThat(
            next(
                List.of(pending(0, true, Map.of(), 200L), pending(1, false, mixed, 150L)),
                "h",
                SMALL,
                true))
        .isInstanceOf(RolloutAction.Wait.class);
    // A raise beside the lowering does not bring the replica forward either.
    Map<String, List<String>> lowerAndRaise =
        Map.of("max_connections", List.of("150", "100"), "shared_buffers", List.of("128MB", "1GB"));
    assertThat(
            next(
                List.of(pending(0, true, lowerAndRaise), pending(1, false, lowerAndRaise)),
                "h",
                SMALL,
                true))
        .isInstanceOf(RolloutAction.RestartPostgres.class)
        .extracting(a -> ((RolloutAction.RestartPostgres) a).pod())
        .isEqualTo("db-0");
  }

  /** A template change comes first: its restart applies pending parameters too. */
  @Test
  void aTemplateChangeComesBeforePendingRestarts() {
    Map<String, List<String>> buffers = Map.of("shared_buffers", List.of("128MB", "256MB"));
    assertThat(
            next(
                List.of(pending(0, true, buffers), pending(1, false, buffers)), "new", SMALL, true))
        .isEqualTo(new RolloutAction.Restart("db-1"));
  }

  /** The planner with every member the StatefulSet should have present. */
  private static RolloutAction next(
      List<Member> members, String hash, ResourceRequirements resources, boolean inPlace) {
    return RolloutPlanner.next(members, members.size(), hash, resources, inPlace);
  }

  /**
   * Between a member's deletion and its successor's creation the cluster looks smaller: the primary
   * of two members looked alone and was restarted without a switchover.
   */
  @Test
  void waitsWhileAMemberIsMissing() {
    assertThat(RolloutPlanner.next(List.of(member(0, true, "old", SMALL)), 2, "new", SMALL, true))
        .isInstanceOf(RolloutAction.Wait.class);
  }

  @Test
  void upToDateIsDone() {
    List<Member> members =
        List.of(member(0, true, "h", SMALL), member(1, false, "h", SMALL_MILLIS));
    assertThat(next(members, "h", SMALL, true)).isInstanceOf(RolloutAction.Done.class);
  }

  /** A broken template stops at the first member it reaches: the next step waits for it. */
  @Test
  void waitsWhileAnUpdatedMemberIsNotReady() {
    Member notReady = new Member("db-2", 2, false, false, false, "new", SMALL, null);
    assertThat(
            next(
                List.of(member(0, true, "old", SMALL), member(1, false, "old", SMALL), notReady),
                "new",
                SMALL,
                true))
        .isInstanceOf(RolloutAction.Wait.class);
  }

  @Test
  void waitsWhileAMemberIsBeingReplaced() {
    Member terminating = new Member("db-1", 1, true, true, false, "old", SMALL, null);
    assertThat(next(List.of(member(0, true, "old", SMALL), terminating), "new", SMALL, true))
        .isInstanceOf(RolloutAction.Wait.class);
  }

  /**
   * Issue #18 case 3: the spec is fixed after a broken template reached db-2; db-2 is outdated
   * again and will never be ready on its template, so it is replaced without waiting for it.
   */
  @Test
  void aMemberNotReadyOnAnOutdatedTemplateIsReplacedAtOnce() {
    Member broken = new Member("db-2", 2, false, false, false, "bad", SMALL, "127.0.0.2");
    List<Member> members =
        List.of(member(0, true, "good", SMALL), member(1, false, "good", SMALL), broken);
    assertThat(next(members, "good", SMALL, true)).isEqualTo(new RolloutAction.Restart("db-2"));
    // The same while another template is being rolled out: the stuck member goes first.
    assertThat(next(members, "newer", SMALL, true)).isEqualTo(new RolloutAction.Restart("db-2"));
  }

  /**
   * The same when only the resources were fixed (the template hash leaves resources out, since they
   * are resized in place): a member asking for more CPU than any node has stays Pending, cannot be
   * resized, and is replaced with the fixed resources at once. Before, the rollout waited for it
   * forever (RolloutStallIT).
   */
  @Test
  void aMemberNotReadyWithOutdatedResourcesIsReplacedAtOnce() {
    Member pending = new Member("db-1", 1, false, false, false, "h", LARGE, null);
    List<Member> members = List.of(member(0, true, "h", SMALL), pending);
    assertThat(next(members, "h", SMALL, true)).isEqualTo(new RolloutAction.Restart("db-1"));
    assertThat(next(members, "h", SMALL, false)).isEqualTo(new RolloutAction.Restart("db-1"));
    // 1000m is 1: the same resources, so it is waited for as any updated member.
    Member slow = new Member("db-1", 1, false, false, false, "h", SMALL_MILLIS, null);
    assertThat(next(List.of(member(0, true, "h", SMALL), slow), "h", SMALL, true))
        .isInstanceOf(RolloutAction.Wait.class);
  }

  /** A primary that is down is for Patroni to replace (failover), not for the rollout. */
  @Test
  void aPrimaryNotReadyIsNotRestartedByTheRollout() {
    Member downPrimary = new Member("db-0", 0, false, false, true, "old", SMALL, "127.0.0.1");
    assertThat(next(List.of(downPrimary, member(1, false, "old", SMALL)), "new", SMALL, true))
        .isInstanceOf(RolloutAction.Wait.class);
  }

  @Test
  void replicasRestartFirstHighestOrdinalFirst() {
    List<Member> members =
        List.of(
            member(0, true, "old", SMALL),
            member(1, false, "old", SMALL),
            member(2, false, "old", SMALL));
    assertThat(next(members, "new", SMALL, true)).isEqualTo(new RolloutAction.Restart("db-2"));
  }

  @Test
  void primaryLastAfterSwitchoverToAnUpdatedReplica() {
    List<Member> members =
        List.of(
            member(0, true, "old", SMALL),
            member(1, false, "new", SMALL),
            member(2, false, "new", SMALL));
    assertThat(next(members, "new", SMALL, true))
        .isEqualTo(new RolloutAction.Switchover("db-0", "db-1"));
  }

  @Test
  void membersWhoseFileSystemWaitsForAMountRestartReplicasFirstThePrimaryAfterASwitchover() {
    List<Member> members =
        List.of(
            member(0, true, "h", SMALL),
            member(1, false, "h", SMALL),
            member(2, false, "h", SMALL));
    java.util.Set<String> all = java.util.Set.of("db-0", "db-1", "db-2");
    assertThat(RolloutPlanner.next(members, 3, "h", SMALL, true, all))
        .isEqualTo(new RolloutAction.Restart("db-2"));
    assertThat(RolloutPlanner.next(members, 3, "h", SMALL, true, java.util.Set.of("db-0", "db-1")))
        .isEqualTo(new RolloutAction.Restart("db-1"));
    // The replicas are done: the primary hands over to one of them first.
    assertThat(RolloutPlanner.next(members, 3, "h", SMALL, true, java.util.Set.of("db-0")))
        .isEqualTo(new RolloutAction.Switchover("db-0", "db-1"));
    assertThat(RolloutPlanner.next(members, 3, "h", SMALL, true, java.util.Set.of()))
        .isEqualTo(new RolloutAction.Done());
    // One at a time: a restarted member must be ready before the next.
    List<Member> restarting =
        List.of(
            member(0, true, "h", SMALL),
            member(1, false, "h", SMALL),
            new Member("db-2", 2, false, false, false, "h", SMALL, "127.0.0.2"));
    assertThat(RolloutPlanner.next(restarting, 3, "h", SMALL, true, java.util.Set.of("db-1")))
        .isEqualTo(new RolloutAction.Wait("waiting for every member to be ready"));
  }

  /**
   * The API server refused every in-place resize (requests added to pods without any change their
   * QoS class): the members get new pods one at a time, replicas first, the primary after a
   * switchover. Before, each was restarted the moment its resize was refused: all at once.
   */
  @Test
  void membersTheApiServerWillNotResizeAreRestartedInTheRolloutsOrder() {
    List<Member> members =
        List.of(
            member(0, true, "h", SMALL),
            member(1, false, "h", SMALL),
            member(2, false, "h", SMALL));
    java.util.Set<String> none = java.util.Set.of();
    java.util.Set<String> all = java.util.Set.of("db-0", "db-1", "db-2");
    assertThat(RolloutPlanner.next(members, 3, "h", LARGE, true, none, all))
        .isEqualTo(new RolloutAction.Restart("db-2"));
    // db-2 came back with the new resources.
    List<Member> oneDone =
        List.of(
            member(0, true, "h", SMALL),
            member(1, false, "h", SMALL),
            member(2, false, "h", LARGE));
    assertThat(RolloutPlanner.next(oneDone, 3, "h", LARGE, true, none, all))
        .isEqualTo(new RolloutAction.Restart("db-1"));
    List<Member> replicasDone =
        List.of(
            member(0, true, "h", SMALL),
            member(1, false, "h", LARGE),
            member(2, false, "h", LARGE));
    assertThat(RolloutPlanner.next(replicasDone, 3, "h", LARGE, true, none, all))
        .isEqualTo(new RolloutAction.Switchover("db-0", "db-1"));
    // Only one refused: the others are still resized in place first.
    assertThat(RolloutPlanner.next(members, 3, "h", LARGE, true, none, java.util.Set.of("db-2")))
        .isEqualTo(new RolloutAction.Resize(List.of("db-0", "db-1")));
  }

  @Test
  void singleMemberRestartsDirectly() {
    assertThat(next(List.of(member(0, true, "old", SMALL)), "new", SMALL, true))
        .isEqualTo(new RolloutAction.Restart("db-0"));
  }

  @Test
  void resourceChangesResizeInPlaceWhenSupported() {
    List<Member> members = List.of(member(0, true, "h", SMALL), member(1, false, "h", SMALL));
    assertThat(next(members, "h", LARGE, true))
        .isEqualTo(new RolloutAction.Resize(List.of("db-0", "db-1")));
    assertThat(next(members, "h", LARGE, false)).isEqualTo(new RolloutAction.Restart("db-1"));
  }

  @Test
  void scaleDownMovesAPrimaryOffRemovedOrdinals() {
    List<Member> members =
        List.of(
            member(0, false, "h", SMALL),
            member(1, false, "h", SMALL),
            member(2, true, "h", SMALL));
    assertThat(RolloutPlanner.beforeScaleDown(members, 2))
        .contains(new RolloutAction.Switchover("db-2", "db-0"));
    assertThat(RolloutPlanner.beforeScaleDown(members, 3)).isEmpty();
    List<Member> primaryStays = List.of(member(0, true, "h", SMALL), member(1, false, "h", SMALL));
    assertThat(RolloutPlanner.beforeScaleDown(primaryStays, 1)).isEmpty();
  }

  @Test
  void requestedSwitchoverUntilTheTargetIsPrimary() {
    List<Member> members = List.of(member(0, true, "h", SMALL), member(1, false, "h", SMALL));
    assertThat(RolloutPlanner.requested(members, "db-1"))
        .contains(new RolloutAction.Switchover("db-0", "db-1"));
    assertThat(RolloutPlanner.requested(members, "db-0")).isEmpty();
    assertThat(RolloutPlanner.requested(members, "db-7")).isEmpty();
    assertThat(RolloutPlanner.requested(members, null)).isEmpty();
    Member notReady = new Member("db-1", 1, false, false, false, "h", SMALL, null);
    assertThat(RolloutPlanner.requested(List.of(member(0, true, "h", SMALL), notReady), "db-1"))
        .isEmpty();
  }
}
