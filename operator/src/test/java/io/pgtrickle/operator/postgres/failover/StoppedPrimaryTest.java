package io.pgtrickle.operator.postgres.failover;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ContainerStateBuilder;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.pgtrickle.operator.api.PatroniSpec;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.api.PostgresClusterSpec;
import java.util.List;
import org.junit.jupiter.api.Test;

class StoppedPrimaryTest {

  private enum State {
    RUNNING,
    TERMINATED,
    WAITING
  }

  private static Pod pod(String name, String role, boolean ready, State state, boolean deleting) {
    var container =
        new ContainerStatusBuilder()
            .withName("postgres")
            .withState(
                switch (state) {
                  case RUNNING -> new ContainerStateBuilder().withNewRunning().endRunning().build();
                  case TERMINATED ->
                      new ContainerStateBuilder()
                          .withNewTerminated()
                          .withExitCode(137)
                          .endTerminated()
                          .build();
                  case WAITING ->
                      new ContainerStateBuilder()
                          .withNewWaiting()
                          .withReason("CrashLoopBackOff")
                          .endWaiting()
                          .build();
                })
            .build();
    return new PodBuilder()
        .withNewMetadata()
        .withName(name)
        .addToLabels("postgres.example.com/role", role)
        .withDeletionTimestamp(deleting ? "2026-11-21T00:00:00Z" : null)
        .endMetadata()
        .withNewStatus()
        .addNewCondition()
        .withType("Ready")
        .withStatus(ready ? "True" : "False")
        .endCondition()
        .withContainerStatuses(container)
        .endStatus()
        .build();
  }

  @Test
  void aPrimaryWhoseContainerTerminatedOrWaitsForARestartIsStopped() {
    assertThat(
            StoppedPrimary.among(
                List.of(
                    pod("db-0", "replica", true, State.RUNNING, false),
                    pod("db-1", "primary", false, State.TERMINATED, false))))
        .contains("db-1");
    assertThat(StoppedPrimary.among(List.of(pod("db-1", "primary", false, State.WAITING, false))))
        .contains("db-1");
  }

  @Test
  void aRunningOrReadyOrDeletedPrimaryOrAStoppedReplicaIsLeftToPatroni() {
    // Not ready but running: PostgreSQL restarting under a live Patroni.
    assertThat(StoppedPrimary.among(List.of(pod("db-0", "primary", false, State.RUNNING, false))))
        .isEmpty();
    // A stale status that still says ready.
    assertThat(StoppedPrimary.among(List.of(pod("db-0", "primary", true, State.TERMINATED, false))))
        .isEmpty();
    // A pod being deleted stops gracefully and releases the lock itself.
    assertThat(StoppedPrimary.among(List.of(pod("db-0", "primary", false, State.TERMINATED, true))))
        .isEmpty();
    assertThat(
            StoppedPrimary.among(List.of(pod("db-0", "replica", false, State.TERMINATED, false))))
        .isEmpty();
    // No container status yet (a pod just scheduled).
    assertThat(
            StoppedPrimary.among(
                List.of(
                    new PodBuilder()
                        .withNewMetadata()
                        .withName("db-0")
                        .addToLabels("postgres.example.com/role", "primary")
                        .endMetadata()
                        .build())))
        .isEmpty();
  }

  @Test
  void fastFailoverIsOnUnlessTurnedOff() {
    PostgresCluster cluster = new PostgresCluster();
    cluster.setSpec(new PostgresClusterSpec());
    assertThat(StoppedPrimary.enabled(cluster)).isTrue();
    cluster.getSpec().setPatroni(new PatroniSpec());
    assertThat(StoppedPrimary.enabled(cluster)).isTrue();
    cluster.getSpec().getPatroni().setFastFailover(false);
    assertThat(StoppedPrimary.enabled(cluster)).isFalse();
  }
}
