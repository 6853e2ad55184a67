package io.pgtrickle.operator.postgres.status;

import static io.pgtrickle.operator.postgres.status.ClusterStatusCalculatorTest.cluster;
import static io.pgtrickle.operator.postgres.status.ClusterStatusCalculatorTest.observed;
import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.operator.api.ClusterPhase;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.api.PostgresClusterStatus;
import io.pgtrickle.operator.status.Conditions;
import io.pgtrickle.operator.status.PodBlocker;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What the status says when something keeps the cluster from working (issue #18): members that
 * cannot come up, pods or children the API server refuses, a synchronous primary without standby.
 */
class ClusterFindingsTest {

  private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");

  private static final PodBlocker UNSCHEDULABLE =
      new PodBlocker(
          "c-0",
          "Unschedulable",
          "0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims");

  @Test
  void anUnschedulableMemberReachesTheReadyCondition() {
    PostgresClusterStatus status =
        ClusterStatusCalculator.calculate(
            cluster(1, ClusterPhase.Creating),
            observed(1, 0, 1, null).withBlockers(List.of(UNSCHEDULABLE)),
            NOW);
    assertThat(status.getPhase()).isEqualTo(ClusterPhase.Creating);
    assertThat(status.getPhaseReason()).isEqualTo("Unschedulable");
    var ready = Conditions.find(status.getConditions(), "Ready").orElseThrow();
    assertThat(ready.getStatus()).isEqualTo("False");
    assertThat(ready.getReason()).isEqualTo("Unschedulable");
    assertThat(ready.getMessage())
        .isEqualTo(
            "0 of 1 members ready, waiting for the rest. c-0: Unschedulable: 0/3 nodes are"
                + " available: pod has unbound immediate PersistentVolumeClaims");
  }

  @Test
  void blockersOfARunningClusterShowInItsDegradedOrUpdatingPhase() {
    PodBlocker crashing =
        new PodBlocker("c-2", "CrashLoopBackOff", "container postgres: back-off 40s");
    PostgresClusterStatus degraded =
        ClusterStatusCalculator.calculate(
            cluster(3, ClusterPhase.Running, 4L),
            observed(3, 2, 3, "c-0").withBlockers(List.of(crashing)),
            NOW);
    assertThat(degraded.getPhase()).isEqualTo(ClusterPhase.Degraded);
    assertThat(degraded.getPhaseReason()).isEqualTo("CrashLoopBackOff");
    assertThat(degraded.getMessage())
        .endsWith("c-2: CrashLoopBackOff: container postgres: back-off 40s");

    PostgresClusterStatus updating =
        ClusterStatusCalculator.calculate(
            cluster(3, ClusterPhase.Updating, 4L),
            observed(3, 2, 1, "c-0").withBlockers(List.of(crashing)),
            NOW);
    assertThat(updating.getPhase()).isEqualTo(ClusterPhase.Updating);
    assertThat(updating.getMessage()).startsWith("1 of 3 members updated. c-2: CrashLoopBackOff");
  }

  @Test
  void atMostThreeBlockersAreListed() {
    List<PodBlocker> four =
        List.of(
            new PodBlocker("c-0", "ImagePullBackOff", "a"),
            new PodBlocker("c-1", "ImagePullBackOff", "b"),
            new PodBlocker("c-2", "ImagePullBackOff", "c"),
            new PodBlocker("c-3", "ImagePullBackOff", "d"));
    PostgresClusterStatus status =
        ClusterStatusCalculator.calculate(
            cluster(4, ClusterPhase.Creating), observed(4, 0, 4, null).withBlockers(four), NOW);
    assertThat(status.getMessage()).contains("c-2: ImagePullBackOff: c").endsWith("and 1 more");
  }

  @Test
  void aPodTheApiServerRefusesFailsANewClusterAndDegradesARunningOne() {
    String message =
        "The StatefulSet cannot create its pods: Create Pod c-0 in StatefulSet c failed error:"
            + " pods \"c-0\" is forbidden: exceeded quota";
    PostgresClusterStatus failed =
        ClusterStatusCalculator.calculate(
            cluster(1, ClusterPhase.Pending),
            observed(0, 0, 0, null).withProblem("PodCreationFailed", message),
            NOW);
    assertThat(failed.getPhase()).isEqualTo(ClusterPhase.Failed);
    assertThat(Conditions.find(failed.getConditions(), "Degraded").orElseThrow().getMessage())
        .isEqualTo(message);

    PostgresClusterStatus degraded =
        ClusterStatusCalculator.calculate(
            cluster(3, ClusterPhase.Running, 4L),
            observed(2, 2, 2, "c-0").withProblem("PodCreationFailed", message),
            NOW);
    assertThat(degraded.getPhase()).isEqualTo(ClusterPhase.Degraded);
    assertThat(degraded.getPhaseReason()).isEqualTo("PodCreationFailed");
  }

  @Test
  void aSynchronousPrimaryWithoutStandbyIsDegradedAndSaysWritesWait() {
    PostgresCluster synchronous = cluster(2, ClusterPhase.Running, 4L);
    synchronous.getSpec().setSynchronous(true);
    PostgresClusterStatus status =
        ClusterStatusCalculator.calculate(synchronous, observed(2, 1, 2, "c-0"), NOW);
    assertThat(status.getPhase()).isEqualTo(ClusterPhase.Degraded);
    assertThat(status.getPhaseReason()).isEqualTo("SynchronousStandbyMissing");
    assertThat(Conditions.find(status.getConditions(), "Degraded").orElseThrow().getMessage())
        .isEqualTo(
            "Synchronous replication has no standby: writes on c-0 wait for a standby to be"
                + " ready again (1 of 2 members ready)");

    // The standby's own trouble explains it, but does not replace it.
    PostgresClusterStatus crashLooping =
        ClusterStatusCalculator.calculate(
            synchronous,
            observed(2, 1, 2, "c-0")
                .withBlockers(
                    List.of(new PodBlocker("c-1", "CrashLoopBackOff", "container postgres: x"))),
            NOW);
    assertThat(crashLooping.getPhaseReason()).isEqualTo("SynchronousStandbyMissing");
    assertThat(crashLooping.getMessage())
        .startsWith("Synchronous replication has no standby")
        .endsWith("c-1: CrashLoopBackOff: container postgres: x");

    PostgresCluster asynchronous = cluster(2, ClusterPhase.Running, 4L);
    assertThat(
            ClusterStatusCalculator.calculate(asynchronous, observed(2, 1, 2, "c-0"), NOW)
                .getPhaseReason())
        .isEqualTo("MembersNotReady");
    assertThat(
            ClusterStatusCalculator.calculate(synchronous, observed(2, 2, 2, "c-0"), NOW)
                .getPhase())
        .isEqualTo(ClusterPhase.Running);
  }
}
