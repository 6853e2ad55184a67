package io.pgtrickle.operator.postgres.rollout;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.pgtrickle.operator.postgres.ClusterNames;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class RolloutStallTest {

  private static final Instant RESTARTED = Instant.parse("2026-12-04T12:00:00Z");
  private static final Duration BOUND = RolloutStall.DEFAULT_BOUND;

  /**
   * A member pod created at {@code created}, its Ready condition as given (null: none yet, as while
   * it is being scheduled), with Patroni's member data {@code status} (null: none published).
   */
  static Pod pod(
      String name, String hash, Instant created, Boolean ready, String readySince, String status) {
    PodBuilder pod =
        new PodBuilder()
            .withNewMetadata()
            .withName(name)
            .withCreationTimestamp(created.toString())
            .addToAnnotations(ClusterNames.RESTART_HASH_ANNOTATION, hash)
            .endMetadata()
            .withNewSpec()
            .endSpec()
            .withNewStatus()
            .endStatus();
    if (status != null) {
      pod.editMetadata().addToAnnotations("status", status).endMetadata();
    }
    if (ready != null) {
      pod.editStatus()
          .addNewCondition()
          .withType("Ready")
          .withStatus(ready ? "True" : "False")
          .withLastTransitionTime(readySince)
          .endCondition()
          .endStatus();
    }
    return pod.build();
  }

  private static final Instant LONG_AGO = Instant.parse("2026-12-01T00:00:00Z");
  private static final Pod PRIMARY_OLD =
      pod("db-0", "old", LONG_AGO, true, LONG_AGO.toString(), "{\"role\":\"primary\"}");
  private static final Pod REPLICA_OLD =
      pod("db-1", "old", LONG_AGO, true, LONG_AGO.toString(), "{\"role\":\"replica\"}");

  /** The demo's case: the restarted member's Patroni is stuck (here in pg_rewind, "starting"). */
  private static final Pod RESTARTED_STUCK =
      pod(
          "db-2",
          "new",
          RESTARTED,
          false,
          RESTARTED.plusSeconds(2).toString(),
          "{\"role\":\"replica\",\"state\":\"starting\"}");

  private static final List<Pod> CLUSTER = List.of(PRIMARY_OLD, REPLICA_OLD, RESTARTED_STUCK);

  @Test
  void aRestartedMemberNotReadyWithinTheBoundIsWaitedForAndLookedAtAgainWhenItIsReached() {
    Instant now = RESTARTED.plusSeconds(62);
    assertThat(RolloutStall.of(CLUSTER, "new", now, BOUND))
        .isEqualTo(new RolloutStall.Waiting("db-2", Duration.ofSeconds(240)));
  }

  @Test
  void pastTheBoundTheRolloutIsStalledNamingTheMemberSinceWhenAndWhatPatroniSays() {
    Instant now = RESTARTED.plus(BOUND).plusSeconds(2);
    RolloutStall.Verdict verdict = RolloutStall.of(CLUSTER, "new", now, BOUND);
    assertThat(verdict)
        .isEqualTo(
            new RolloutStall.Stalled(
                List.of(
                    new RolloutStall.StalledMember(
                        "db-2", RESTARTED.plusSeconds(2), "state \"starting\", role replica")),
                BOUND));
    assertThat(((RolloutStall.Stalled) verdict).describe())
        .isEqualTo(
            "Rollout stalled: db-2 runs the new template and has not been ready for over 5 min"
                + " (not ready since 2026-12-04T12:00:02Z); Patroni on it: state \"starting\","
                + " role replica. The rollout waits and restarts no other member until it is"
                + " ready; a member on an outdated template would be replaced at once, so fixing"
                + " the spec heals it");
    // Stable while nothing changes: an hour later the same words, so the status is not rewritten.
    assertThat(RolloutStall.of(CLUSTER, "new", now.plusSeconds(3600), BOUND)).isEqualTo(verdict);
  }

  @Test
  void exactlyAtTheBoundItIsStalled() {
    Instant now = RESTARTED.plusSeconds(2).plus(BOUND);
    assertThat(RolloutStall.of(CLUSTER, "new", now, BOUND))
        .isInstanceOf(RolloutStall.Stalled.class);
    assertThat(RolloutStall.of(CLUSTER, "new", now.minusSeconds(1), BOUND))
        .isEqualTo(new RolloutStall.Waiting("db-2", Duration.ofSeconds(1)));
  }

  @Test
  void theRolloutPlannerKeepsWaitingForAStalledMember() {
    // The stall changes the status only: the next replica is never restarted meanwhile.
    List<Member> members = Member.of(CLUSTER);
    assertThat(RolloutPlanner.next(members, 3, "new", (ResourceRequirements) null, false))
        .isEqualTo(new RolloutAction.Wait("waiting for every member to be ready"));
  }

  @Test
  void withoutPatroniDataOrReadyConditionTheCreationCountsAndTheMessageSaysSo() {
    // Unschedulable: no Ready condition, no Patroni.
    Pod pending = pod("db-2", "new", RESTARTED, null, null, null);
    RolloutStall.Verdict verdict =
        RolloutStall.of(
            List.of(PRIMARY_OLD, REPLICA_OLD, pending), "new", RESTARTED.plus(BOUND), BOUND);
    assertThat(verdict)
        .isEqualTo(
            new RolloutStall.Stalled(
                List.of(
                    new RolloutStall.StalledMember(
                        "db-2",
                        RESTARTED,
                        "no state published (Patroni has not started, or cannot reach the API"
                            + " server)")),
                BOUND));
  }

  @Test
  void anUpdatedMemberThatTurnedNotReadyLaterCountsFromThatTurn() {
    Instant turned = RESTARTED.plusSeconds(600);
    Pod crashedLater =
        pod(
            "db-2",
            "new",
            RESTARTED,
            false,
            turned.toString(),
            "{\"role\":\"replica\",\"state\":\"crashed\"}");
    assertThat(
            RolloutStall.of(
                List.of(PRIMARY_OLD, REPLICA_OLD, crashedLater),
                "new",
                turned.plusSeconds(5),
                BOUND))
        .isEqualTo(new RolloutStall.Waiting("db-2", BOUND.minusSeconds(5)));
  }

  @Test
  void readyOrOutdatedOrDeletedMembersAreNotWaitedFor() {
    Instant now = RESTARTED.plus(Duration.ofHours(1));
    Pod readyNew = pod("db-2", "new", RESTARTED, true, RESTARTED.toString(), null);
    assertThat(RolloutStall.of(List.of(PRIMARY_OLD, REPLICA_OLD, readyNew), "new", now, BOUND))
        .isEqualTo(new RolloutStall.Settled());
    // Not ready on the outdated template: the planner replaces it at once, nothing to report here.
    Pod notReadyOld = pod("db-1", "old", LONG_AGO, false, LONG_AGO.toString(), null);
    assertThat(RolloutStall.of(List.of(PRIMARY_OLD, notReadyOld), "new", now, BOUND))
        .isEqualTo(new RolloutStall.Settled());
    Pod deleting =
        new PodBuilder(RESTARTED_STUCK)
            .editMetadata()
            .withDeletionTimestamp(now.toString())
            .endMetadata()
            .build();
    assertThat(RolloutStall.of(List.of(PRIMARY_OLD, deleting), "new", now, BOUND))
        .isEqualTo(new RolloutStall.Settled());
    assertThat(RolloutStall.of(CLUSTER, null, now, BOUND)).isEqualTo(new RolloutStall.Settled());
  }

  @Test
  void severalStalledMembersAreNamedInOrdinalOrder() {
    Pod other =
        pod("db-1", "new", RESTARTED, false, RESTARTED.toString(), "{\"state\":\"stopped\"}");
    RolloutStall.Verdict verdict =
        RolloutStall.of(
            List.of(PRIMARY_OLD, RESTARTED_STUCK, other), "new", RESTARTED.plusSeconds(900), BOUND);
    assertThat(((RolloutStall.Stalled) verdict).members())
        .extracting(RolloutStall.StalledMember::pod)
        .containsExactly("db-1", "db-2");
    assertThat(((RolloutStall.Stalled) verdict).describe())
        .contains("Patroni on it: state \"stopped\"; db-2")
        .contains("until they are ready");
  }
}
