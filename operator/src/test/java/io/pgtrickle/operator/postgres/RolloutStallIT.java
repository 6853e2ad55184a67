package io.pgtrickle.operator.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Pod;
import io.pgtrickle.operator.api.ClusterPhase;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.postgres.rollout.RolloutStall;
import io.pgtrickle.operator.status.Conditions;
import io.pgtrickle.operator.testbed.OperatorRunner;
import io.pgtrickle.testbed.TestNamespace;
import io.pgtrickle.testbed.VolumeProvisioner;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A rollout whose restarted member never becomes ready says so ({@link RolloutStall}) and keeps
 * waiting. The member cannot start because the new template asks for more CPU than any node has
 * (the scheduler leaves it Pending): the cheapest member that never becomes ready on the test bed,
 * where kwok marks every scheduled pod Ready. The operator here reports after 15 s instead of 5
 * minutes.
 */
class RolloutStallIT {

  @RegisterExtension static final TestNamespace NAMESPACE = new TestNamespace();
  private static final Duration CONVERGE = Duration.ofSeconds(60);
  private static final Duration BOUND = Duration.ofSeconds(15);

  private static VolumeProvisioner volumes;
  private final ClusterFixtures fixtures = new ClusterFixtures(NAMESPACE);
  private OperatorRunner operator;

  @BeforeAll
  static void provisionVolumes() {
    volumes = new VolumeProvisioner(NAMESPACE.client(), NAMESPACE.name());
  }

  @AfterAll
  static void stopVolumes() {
    volumes.close();
  }

  @BeforeEach
  void startOperator() {
    operator = OperatorRunner.start(NAMESPACE.testBed(), NAMESPACE.name(), BOUND);
  }

  @AfterEach
  void stopOperator() {
    operator.close();
  }

  @Test
  void aRestartedMemberThatIsNeverReadyStallsTheRolloutVisiblyAndNoOtherMemberIsRestarted()
      throws InterruptedException {
    fixtures.apply("{version: 16, replicas: 2, storage: {size: 1Gi}}", "stall");
    await()
        .atMost(CONVERGE)
        .until(
            () ->
                fixtures.pods("stall").stream().filter(PostgresClusterProvisioningIT::ready).count()
                    == 2);
    fixtures.markPrimary("stall-0");
    fixtures.markReplica("stall-1");
    await().atMost(CONVERGE).until(() -> phase() == ClusterPhase.Running);
    String primaryUid = pod("stall-0").getMetadata().getUid();
    String replicaUid = pod("stall-1").getMetadata().getUid();

    fixtures.apply(
        "{version: 16, replicas: 2, storage: {size: 1Gi}, image: 'example/postgres:16-custom',"
            + " resources: {requests: {cpu: '64'}}}",
        "stall");

    // The replica goes first and its successor cannot be scheduled.
    await()
        .atMost(CONVERGE)
        .until(
            () -> {
              Pod p = pod("stall-1");
              return p != null && !replicaUid.equals(p.getMetadata().getUid());
            });
    PostgresCluster stalled =
        await()
            .atMost(BOUND.plus(CONVERGE))
            .until(
                () -> fixtures.get("stall"),
                c -> RolloutStall.REASON.equals(c.getStatus().getPhaseReason()));
    assertThat(stalled.getStatus().getPhase()).isEqualTo(ClusterPhase.Updating);
    assertThat(stalled.getStatus().getMessage())
        .contains(
            "Rollout stalled: stall-1 runs the new template and has not been ready for over 15 s")
        .contains("Patroni on it: no state published")
        .contains("The rollout waits and restarts no other member")
        .contains("stall-1: Unschedulable:");
    Condition progressing =
        Conditions.find(stalled.getStatus().getConditions(), "Progressing").orElseThrow();
    assertThat(progressing.getStatus()).isEqualTo("False");
    assertThat(progressing.getReason()).isEqualTo(RolloutStall.REASON);

    // It keeps waiting: the primary is not touched, and the Warning came once.
    Thread.sleep(10_000);
    assertThat(pod("stall-0").getMetadata().getUid()).isEqualTo(primaryUid);
    assertThat(events("RollingRestart", "Normal")).isEqualTo(1);
    assertThat(events(RolloutStall.REASON, "Warning")).isEqualTo(1);
    assertThat(fixtures.get("stall").getStatus().getPhaseReason()).isEqualTo(RolloutStall.REASON);

    // Fixing the spec replaces the stuck member (outdated again) at once: progressing again.
    fixtures.apply(
        "{version: 16, replicas: 2, storage: {size: 1Gi}, image: 'example/postgres:16-custom'}",
        "stall");
    await()
        .atMost(CONVERGE)
        .untilAsserted(
            () -> {
              Pod p = pod("stall-1");
              assertThat(p).isNotNull();
              assertThat(PostgresClusterProvisioningIT.ready(p)).isTrue();
              assertThat(fixtures.get("stall").getStatus().getPhaseReason())
                  .isNotEqualTo(RolloutStall.REASON);
            });
  }

  private ClusterPhase phase() {
    PostgresCluster cluster = fixtures.get("stall");
    return cluster.getStatus() == null ? null : cluster.getStatus().getPhase();
  }

  private Pod pod(String name) {
    return NAMESPACE.client().pods().inNamespace(NAMESPACE.name()).withName(name).get();
  }

  private long events(String reason, String type) {
    return NAMESPACE.client().v1().events().inNamespace(NAMESPACE.name()).list().getItems().stream()
        .filter(e -> "stall".equals(e.getInvolvedObject().getName()))
        .filter(e -> "PostgresCluster".equals(e.getInvolvedObject().getKind()))
        .filter(e -> reason.equals(e.getReason()) && type.equals(e.getType()))
        .count();
  }
}
