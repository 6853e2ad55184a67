package io.pgtrickle.operator.postgres.status;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.pgtrickle.operator.api.ClusterPhase;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.api.PostgresClusterSpec;
import io.pgtrickle.operator.api.PostgresClusterStatus;
import io.pgtrickle.operator.api.StorageSpec;
import io.pgtrickle.operator.postgres.rollout.RolloutStall;
import io.pgtrickle.operator.status.Conditions;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class ClusterStatusCalculatorTest {

  private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");

  static PostgresCluster cluster(int replicas, ClusterPhase previousPhase) {
    return cluster(replicas, previousPhase, 3L);
  }

  /** A cluster at generation 4 whose stored status was written at {@code statusGeneration}. */
  static PostgresCluster cluster(int replicas, ClusterPhase previousPhase, long statusGeneration) {
    PostgresCluster cluster = new PostgresCluster();
    cluster.setMetadata(new ObjectMetaBuilder().withName("c").withGeneration(4L).build());
    PostgresClusterSpec spec = new PostgresClusterSpec();
    spec.setVersion(new IntOrString(16));
    spec.setReplicas(replicas);
    StorageSpec storage = new StorageSpec();
    storage.setSize("1Gi");
    spec.setStorage(storage);
    cluster.setSpec(spec);
    if (previousPhase != null) {
      PostgresClusterStatus status = new PostgresClusterStatus();
      status.setPhase(previousPhase);
      status.setObservedGeneration(statusGeneration);
      cluster.setStatus(status);
    }
    return cluster;
  }

  /** Members as counted; every ready member but the primary is a ready standby. */
  static ObservedCluster observed(int current, int ready, int updated, String primary) {
    return ObservedCluster.members(
        current, ready, updated, primary, primary == null ? ready : Math.max(0, ready - 1));
  }

  @Test
  void newClusterIsPendingAndProgressing() {
    PostgresClusterStatus status =
        ClusterStatusCalculator.calculate(cluster(3, null), ObservedCluster.nothing(), NOW);
    assertThat(status.getPhase()).isEqualTo(ClusterPhase.Pending);
    assertThat(status.getReplicas()).isEqualTo("0/3");
    assertThat(status.getReadyReplicas()).isZero();
    assertThat(status.getObservedGeneration()).isEqualTo(4L);
    assertThat(Conditions.isTrue(status.getConditions(), "Progressing")).isTrue();
    assertThat(Conditions.isTrue(status.getConditions(), "Ready")).isFalse();
  }

  @Test
  void creatingUntilAllMembersReadyThenRunning() {
    assertThat(
            ClusterStatusCalculator.calculate(
                    cluster(3, ClusterPhase.Pending), observed(3, 1, 3, "c-0"), NOW)
                .getPhase())
        .isEqualTo(ClusterPhase.Creating);
    PostgresClusterStatus running =
        ClusterStatusCalculator.calculate(
            cluster(3, ClusterPhase.Creating), observed(3, 3, 3, "c-0"), NOW);
    assertThat(running.getPhase()).isEqualTo(ClusterPhase.Running);
    assertThat(running.getReplicas()).isEqualTo("3/3");
    assertThat(running.getPrimaryPod()).isEqualTo("c-0");
    assertThat(Conditions.isTrue(running.getConditions(), "Ready")).isTrue();
    assertThat(Conditions.isTrue(running.getConditions(), "Progressing")).isFalse();
    assertThat(Conditions.isTrue(running.getConditions(), "Degraded")).isFalse();
  }

  @Test
  void creatingWithoutPrimaryIsNotRunning() {
    PostgresClusterStatus status =
        ClusterStatusCalculator.calculate(
            cluster(3, ClusterPhase.Creating), observed(3, 3, 3, null), NOW);
    assertThat(status.getPhase()).isEqualTo(ClusterPhase.Creating);
    assertThat(status.getMessage())
        .isEqualTo("3 of 3 members ready, waiting for Patroni to elect a primary");
  }

  @Test
  void phasesOfARunningCluster() {
    assertThat(phaseAfterRunning(5, observed(3, 3, 3, "c-0"))).isEqualTo(ClusterPhase.Scaling);
    assertThat(phaseAfterRunning(1, observed(3, 3, 3, "c-0"))).isEqualTo(ClusterPhase.Scaling);
    assertThat(phaseAfterRunning(3, observed(3, 3, 1, "c-0"))).isEqualTo(ClusterPhase.Updating);
    assertThat(phaseAfterRunning(3, observed(3, 2, 3, "c-0"))).isEqualTo(ClusterPhase.Degraded);
    assertThat(phaseAfterRunning(3, observed(3, 2, 3, null))).isEqualTo(ClusterPhase.Recovering);
    assertThat(phaseAfterRunning(3, observed(3, 3, 3, "c-1"))).isEqualTo(ClusterPhase.Running);
  }

  /**
   * The round that first sees 3 to 4 may already find the new member's pod (the StatefulSet
   * controller is fast), not ready: that is a scale, Progressing, not Degraded with Progressing
   * False "Stable" (seen on the test bed).
   */
  @Test
  void aScaleUpWhoseNewPodIsAlreadyThereIsScaling() {
    PostgresCluster scaled = cluster(4, ClusterPhase.Running);
    scaled.getStatus().setReplicas("3/3");
    PostgresClusterStatus status =
        ClusterStatusCalculator.calculate(scaled, observed(4, 3, 4, "c-0"), NOW);
    assertThat(status.getPhase()).isEqualTo(ClusterPhase.Scaling);
    assertThat(Conditions.isTrue(status.getConditions(), "Progressing")).isTrue();
    assertThat(Conditions.isTrue(status.getConditions(), "Degraded")).isFalse();
    PostgresCluster next = cluster(4, ClusterPhase.Scaling, 4L);
    next.getStatus().setReplicas("3/4");
    assertThat(ClusterStatusCalculator.calculate(next, observed(4, 3, 4, "c-0"), NOW).getPhase())
        .as("later rounds: the same generation, still scaling until the member is ready")
        .isEqualTo(ClusterPhase.Scaling);
    assertThat(ClusterStatusCalculator.desiredIn(null)).isNull();
    next.getStatus().setReplicas("garbage");
    assertThat(ClusterStatusCalculator.desiredIn(next.getStatus())).isNull();
  }

  @Test
  void aLostReplicaIsDegradedNotScalingNorUpdating() {
    // The StatefulSet has 2 of 3 pods and the spec did not change since the last status.
    PostgresCluster steady = cluster(3, ClusterPhase.Running, 4L);
    PostgresClusterStatus lost =
        ClusterStatusCalculator.calculate(steady, observed(2, 2, 2, "c-0"), NOW);
    assertThat(lost.getPhase()).isEqualTo(ClusterPhase.Degraded);
    assertThat(Conditions.isTrue(lost.getConditions(), "Degraded")).isTrue();
    assertThat(ClusterStatusCalculator.calculate(steady, observed(3, 2, 3, "c-0"), NOW).getPhase())
        .as("recreated, not ready yet")
        .isEqualTo(ClusterPhase.Degraded);
  }

  @Test
  void scalingAndUpdatingLastUntilEveryMemberIsReady() {
    // Scaling from 3 to 5: the spec changed once, later reconciles see the same generation.
    PostgresClusterStatus scaling =
        ClusterStatusCalculator.calculate(
            cluster(5, ClusterPhase.Scaling, 4L), observed(5, 4, 5, "c-0"), NOW);
    assertThat(scaling.getPhase()).isEqualTo(ClusterPhase.Scaling);
    assertThat(scaling.getMessage()).startsWith("Scaling to 5 members, 4 ready");
    assertThat(
            ClusterStatusCalculator.calculate(
                    cluster(5, ClusterPhase.Scaling, 4L), observed(4, 4, 4, "c-0"), NOW)
                .getMessage())
        .startsWith("Scaling from 4 to 5 members");
    assertThat(
            ClusterStatusCalculator.calculate(
                    cluster(1, ClusterPhase.Scaling, 4L), observed(2, 2, 2, "c-0"), NOW)
                .getPhase())
        .as("scaling down, one pod still to remove")
        .isEqualTo(ClusterPhase.Scaling);
    assertThat(
            ClusterStatusCalculator.calculate(
                    cluster(5, ClusterPhase.Scaling, 4L), observed(5, 5, 5, "c-0"), NOW)
                .getPhase())
        .isEqualTo(ClusterPhase.Running);
    // The last old pod was deleted to be recreated on the new template.
    assertThat(
            ClusterStatusCalculator.calculate(
                    cluster(3, ClusterPhase.Updating, 4L), observed(2, 2, 2, "c-0"), NOW)
                .getPhase())
        .isEqualTo(ClusterPhase.Updating);
  }

  @Test
  void failureAndDeletionWin() {
    ObservedCluster failing =
        observed(3, 3, 3, "c-0").withFailure("StorageClassNotFound", "no class fast");
    PostgresClusterStatus failed =
        ClusterStatusCalculator.calculate(cluster(3, ClusterPhase.Running), failing, NOW);
    assertThat(failed.getPhase()).isEqualTo(ClusterPhase.Failed);
    assertThat(failed.getPhaseReason()).isEqualTo("StorageClassNotFound");
    assertThat(Conditions.isTrue(failed.getConditions(), "Degraded")).isTrue();
    assertThat(phaseAfterRunning(3, failing.asDeleting())).isEqualTo(ClusterPhase.Deleting);
  }

  @Test
  void sameInputsGiveAnEqualStatus() {
    PostgresCluster cluster = cluster(3, null);
    PostgresClusterStatus first =
        ClusterStatusCalculator.calculate(cluster, ObservedCluster.nothing(), NOW);
    cluster.setStatus(first);
    PostgresClusterStatus second =
        ClusterStatusCalculator.calculate(cluster, ObservedCluster.nothing(), NOW.plusSeconds(60));
    assertThat(second).isEqualTo(first);
  }

  private static ClusterPhase phaseAfterRunning(int desired, ObservedCluster observed) {
    return ClusterStatusCalculator.calculate(cluster(desired, ClusterPhase.Running), observed, NOW)
        .getPhase();
  }

  @Test
  void membersWaitingForARestartToApplyParametersKeepTheClusterUpdating() {
    PostgresClusterStatus status =
        ClusterStatusCalculator.calculate(
            cluster(3, ClusterPhase.Running),
            observed(3, 3, 3, "c-0").withPendingRestart(java.util.List.of("c-1", "c-2")),
            NOW);
    assertThat(status.getPhase()).isEqualTo(ClusterPhase.Updating);
    assertThat(status.getPhaseReason()).isEqualTo(ClusterStatusCalculator.PENDING_RESTART);
    assertThat(status.getMessage()).startsWith("PostgreSQL on c-1, c-2 waits for a restart");
    assertThat(Conditions.isTrue(status.getConditions(), "Progressing")).isTrue();
    // Once restarted, it is running again.
    assertThat(
            ClusterStatusCalculator.calculate(
                    cluster(3, ClusterPhase.Updating), observed(3, 3, 3, "c-0"), NOW)
                .getPhase())
        .isEqualTo(ClusterPhase.Running);
  }

  @Test
  void aStalledRolloutReadAsAScaleForAMomentIsReportedAsStalled() {
    // The restarted member was gone for a moment (a rollout's delete read as a scale): once it
    // exists again, not ready past the bound, the rollout is stalled, not Scaling for good.
    RolloutStall.Stalled stalled =
        new RolloutStall.Stalled(
            java.util.List.of(
                new RolloutStall.StalledMember("c-1", NOW.minusSeconds(400), "no state published")),
            RolloutStall.DEFAULT_BOUND);
    PostgresClusterStatus status =
        ClusterStatusCalculator.calculate(
            cluster(2, ClusterPhase.Scaling), observed(2, 1, 1, "c-0").withRollout(stalled), NOW);
    assertThat(status.getPhase()).isEqualTo(ClusterPhase.Updating);
    assertThat(status.getPhaseReason()).isEqualTo("RolloutStalled");
    // A real scale (a member missing) stays Scaling.
    PostgresClusterStatus scaling =
        ClusterStatusCalculator.calculate(
            cluster(3, ClusterPhase.Scaling), observed(2, 1, 1, "c-0").withRollout(stalled), NOW);
    assertThat(scaling.getPhase()).isEqualTo(ClusterPhase.Scaling);
  }

  @Test
  void aStalledRolloutStaysUpdatingWithReasonRolloutStalledAndIsNotProgressing() {
    RolloutStall.Stalled stalled =
        new RolloutStall.Stalled(
            java.util.List.of(
                new RolloutStall.StalledMember(
                    "c-2", NOW.minusSeconds(400), "state \"starting\", role replica")),
            RolloutStall.DEFAULT_BOUND);
    PostgresClusterStatus status =
        ClusterStatusCalculator.calculate(
            cluster(3, ClusterPhase.Updating), observed(3, 2, 3, "c-0").withRollout(stalled), NOW);
    assertThat(status.getPhase()).isEqualTo(ClusterPhase.Updating);
    assertThat(status.getPhaseReason()).isEqualTo("RolloutStalled");
    assertThat(status.getMessage())
        .startsWith("3 of 3 members updated. Rollout stalled: c-2 runs the new template")
        .contains("state \"starting\"");
    var progressing = Conditions.find(status.getConditions(), "Progressing").orElseThrow();
    assertThat(progressing.getStatus()).isEqualTo("False");
    assertThat(progressing.getReason()).isEqualTo("RolloutStalled");
    assertThat(progressing.getMessage()).isEqualTo(status.getMessage());
    assertThat(Conditions.isTrue(status.getConditions(), "Degraded")).isFalse();
    // Within the bound it is an ordinary rolling update, progressing.
    PostgresClusterStatus waiting =
        ClusterStatusCalculator.calculate(
            cluster(3, ClusterPhase.Updating),
            observed(3, 2, 3, "c-0")
                .withRollout(new RolloutStall.Waiting("c-2", java.time.Duration.ofSeconds(30))),
            NOW);
    assertThat(waiting.getPhaseReason()).isEqualTo("RollingUpdate");
    assertThat(Conditions.isTrue(waiting.getConditions(), "Progressing")).isTrue();
    // A member that is not ready outside a rollout is Degraded, as before, stalled or not.
    PostgresClusterStatus degraded =
        ClusterStatusCalculator.calculate(
            cluster(3, ClusterPhase.Running), observed(3, 2, 3, "c-0").withRollout(stalled), NOW);
    assertThat(degraded.getPhase()).isEqualTo(ClusterPhase.Degraded);
    assertThat(degraded.getPhaseReason()).isEqualTo("MembersNotReady");
  }
}
