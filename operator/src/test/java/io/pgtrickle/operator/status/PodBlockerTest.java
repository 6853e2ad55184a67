package io.pgtrickle.operator.status;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Reading the scheduler's and the kubelet's reasons out of a pod's status. */
class PodBlockerTest {

  private static PodBuilder pod() {
    return new PodBuilder().withNewMetadata().withName("c-0").endMetadata();
  }

  @Test
  void theSchedulersReason() {
    Pod pod =
        pod()
            .withNewStatus()
            .withPhase("Pending")
            .addNewCondition()
            .withType("PodScheduled")
            .withStatus("False")
            .withReason("Unschedulable")
            .withMessage("0/3 nodes are available: 3 Insufficient memory.")
            .endCondition()
            .endStatus()
            .build();
    assertThat(PodBlocker.of(pod))
        .contains(
            new PodBlocker(
                "c-0", "Unschedulable", "0/3 nodes are available: 3 Insufficient memory."));
  }

  @Test
  void theKubeletsReasonsForAContainerThatDoesNotStart() {
    for (String reason : new String[] {"ImagePullBackOff", "ErrImagePull", "CrashLoopBackOff"}) {
      Pod pod =
          pod()
              .withNewStatus()
              .withPhase("Pending")
              .addNewContainerStatus()
              .withName("postgres")
              .withNewState()
              .withNewWaiting()
              .withReason(reason)
              .withMessage("it says why")
              .endWaiting()
              .endState()
              .endContainerStatus()
              .endStatus()
              .build();
      assertThat(PodBlocker.of(pod))
          .contains(new PodBlocker("c-0", reason, "container postgres: it says why"));
    }
  }

  @Test
  void startingIsNoBlocker() {
    Pod pod =
        pod()
            .withNewStatus()
            .withPhase("Pending")
            .addNewContainerStatus()
            .withName("postgres")
            .withNewState()
            .withNewWaiting()
            .withReason("ContainerCreating")
            .endWaiting()
            .endState()
            .endContainerStatus()
            .endStatus()
            .build();
    assertThat(PodBlocker.of(pod)).isEmpty();
    assertThat(PodBlocker.of(pod().build())).isEmpty();
  }

  @Test
  void aFailedPod() {
    Pod evicted =
        pod()
            .withNewStatus()
            .withPhase("Failed")
            .withReason("Evicted")
            .withMessage("The node was low on resource: memory.")
            .endStatus()
            .build();
    assertThat(PodBlocker.of(evicted))
        .contains(new PodBlocker("c-0", "Evicted", "The node was low on resource: memory."));
  }

  /** The kubelet alternates the two while it retries a pull: one trouble, one Event. */
  @Test
  void imagePullRetriesAreOneTrouble() {
    assertThat(PodBlocker.sameTrouble("ErrImagePull", "ImagePullBackOff")).isTrue();
    assertThat(PodBlocker.sameTrouble("ImagePullBackOff", "ErrImagePull")).isTrue();
    assertThat(PodBlocker.sameTrouble("Unschedulable", "Unschedulable")).isTrue();
    assertThat(PodBlocker.sameTrouble("CdcNotReady", "ImagePullBackOff")).isFalse();
    assertThat(PodBlocker.sameTrouble(null, "CrashLoopBackOff")).isFalse();
  }

  private static final java.time.Instant NOW = java.time.Instant.parse("2026-12-04T12:00:00Z");

  /** A container of the pod after {@code restarts} restarts, the last end at {@code endedAt}. */
  private static PodBuilder restarted(int restarts, String endedAt, boolean ready) {
    return pod()
        .withNewStatus()
        .withPhase("Running")
        .addNewContainerStatus()
        .withName("cdc-consumer")
        .withReady(ready)
        .withRestartCount(restarts)
        .withNewState()
        .withNewRunning()
        .withStartedAt("2026-12-04T11:59:50Z")
        .endRunning()
        .endState()
        .withNewLastState()
        .withNewTerminated()
        .withExitCode(1)
        .withReason("Error")
        .withFinishedAt(endedAt)
        .endTerminated()
        .endLastState()
        .endContainerStatus()
        .endStatus();
  }

  /**
   * A crash loop is one trouble while it lasts: running again between two crashes, not ready yet,
   * it is still CrashLoopBackOff, with the restarts counted (the kubelet's reason alone came and
   * went with each restart, one Warning Event each time).
   */
  @Test
  void aCrashLoopLastsWhileTheContainerRunsAgainNotReady() {
    Pod again = restarted(3, "2026-12-04T11:59:40Z", false).build();
    assertThat(PodBlocker.of(again)).as("the kubelet's reason alone").isEmpty();
    assertThat(PodBlocker.of(List.of(again), NOW))
        .containsExactly(
            new PodBlocker(
                "c-0",
                "CrashLoopBackOff",
                "container cdc-consumer: restarted 3 times, last exit code 1 (Error) at"
                    + " 2026-12-04T11:59:40Z; running again since 2026-12-04T11:59:50Z, not"
                    + " ready"));
    // Ready: no trouble. Ended longer ago than the kubelet's back-off memory: not a loop.
    assertThat(PodBlocker.of(List.of(restarted(3, "2026-12-04T11:59:40Z", true).build()), NOW))
        .isEmpty();
    assertThat(PodBlocker.of(List.of(restarted(3, "2026-12-04T11:49:00Z", false).build()), NOW))
        .isEmpty();
    assertThat(PodBlocker.of(List.of(restarted(3, "2026-12-04T11:50:00Z", false).build()), NOW))
        .hasSize(1);
    // An init container run again and done is no crash.
    Pod initDone =
        pod()
            .withNewStatus()
            .withPhase("Running")
            .addNewInitContainerStatus()
            .withName("init")
            .withReady(false)
            .withRestartCount(1)
            .withNewState()
            .withNewTerminated()
            .withExitCode(0)
            .withReason("Completed")
            .withFinishedAt("2026-12-04T11:59:30Z")
            .endTerminated()
            .endState()
            .endInitContainerStatus()
            .endStatus()
            .build();
    assertThat(PodBlocker.of(List.of(initDone), NOW)).isEmpty();
  }

  @Test
  void aCrashQuotesTheLastLineOfItsTerminationMessage() {
    Pod crashed =
        pod()
            .withNewStatus()
            .withPhase("Running")
            .addNewContainerStatus()
            .withName("worker")
            .withReady(false)
            .withRestartCount(2)
            .withNewState()
            .withNewWaiting()
            .withReason("CrashLoopBackOff")
            .withMessage("back-off 20s restarting failed container=worker")
            .endWaiting()
            .endState()
            .withNewLastState()
            .withNewTerminated()
            .withExitCode(3)
            .withReason("Error")
            .withMessage(
                "06:57:12.001 INFO refreshing public.al1\n"
                    + "Terminating due to java.lang.OutOfMemoryError: Java heap space\n\n")
            .withFinishedAt("2026-12-07T06:57:13Z")
            .endTerminated()
            .endLastState()
            .endContainerStatus()
            .endStatus()
            .build();
    assertThat(PodBlocker.of(List.of(crashed), NOW))
        .extracting(PodBlocker::message)
        .containsExactly(
            "container worker: restarted 2 times, last exit code 3 (Error) at 2026-12-07T06:57:13Z:"
                + " \"Terminating due to java.lang.OutOfMemoryError: Java heap space\"; back-off"
                + " 20s restarting failed container=worker");
  }

  @Test
  void aLongLastLineIsQuotedByItsEnd() {
    String line = "x".repeat(500) + " the cause";
    assertThat(PodBlocker.lastLine("first\n" + line))
        .hasSize(PodBlocker.MESSAGE_QUOTED + 3)
        .startsWith("...")
        .endsWith(" the cause");
    assertThat(PodBlocker.lastLine(" \n \n")).isNull();
    assertThat(PodBlocker.lastLine(null)).isNull();
  }

  @Test
  void waitingInCrashLoopBackOffCountsTheRestarts() {
    Pod waiting =
        pod()
            .withNewStatus()
            .withPhase("Running")
            .addNewContainerStatus()
            .withName("worker")
            .withReady(false)
            .withRestartCount(5)
            .withNewState()
            .withNewWaiting()
            .withReason("CrashLoopBackOff")
            .withMessage("back-off 2m40s restarting failed container=worker")
            .endWaiting()
            .endState()
            .withNewLastState()
            .withNewTerminated()
            .withExitCode(137)
            .withReason("OOMKilled")
            .withFinishedAt("2026-12-04T11:58:00Z")
            .endTerminated()
            .endLastState()
            .endContainerStatus()
            .endStatus()
            .build();
    assertThat(PodBlocker.of(List.of(waiting), NOW))
        .containsExactly(
            new PodBlocker(
                "c-0",
                "CrashLoopBackOff",
                "container worker: restarted 5 times, last exit code 137 (OOMKilled) at"
                    + " 2026-12-04T11:58:00Z; back-off 2m40s restarting failed container=worker"));
    // Other troubles read as before.
    Pod unscheduled =
        pod()
            .withNewStatus()
            .withPhase("Pending")
            .addNewCondition()
            .withType("PodScheduled")
            .withStatus("False")
            .withReason("Unschedulable")
            .withMessage("no node")
            .endCondition()
            .endStatus()
            .build();
    assertThat(PodBlocker.of(List.of(unscheduled), NOW))
        .containsExactly(new PodBlocker("c-0", "Unschedulable", "no node"));
  }
}
