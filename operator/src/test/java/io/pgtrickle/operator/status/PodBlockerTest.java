package io.pgtrickle.operator.status;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
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
}
