package io.pgtrickle.operator.postgres.rollout;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import java.util.List;
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
