package io.pgtrickle.operator.streams.spec;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import org.junit.jupiter.api.Test;

/** Workers first, CDC consumers once no worker of an older image runs. */
class CdcRolloutOrderTest {

  private static Deployment workers(
      String image, long generation, long observed, int pods, int updated) {
    return new DeploymentBuilder()
        .withNewMetadata()
        .withName("shop-worker")
        .withGeneration(generation)
        .endMetadata()
        .withNewSpec()
        .withReplicas(2)
        .withNewTemplate()
        .withNewSpec()
        .addNewContainer()
        .withName(WorkerDeployment.CONTAINER)
        .withImage(image)
        .endContainer()
        .endSpec()
        .endTemplate()
        .endSpec()
        .withNewStatus()
        .withObservedGeneration(observed)
        .withReplicas(pods)
        .withUpdatedReplicas(updated)
        .endStatus()
        .build();
  }

  @Test
  void aNewCdcImageWaitsUntilEveryWorkerRunsTheNewWorkerImage() {
    assertThat(
            CdcRolloutOrder.cdcImage("cdc:2", "cdc:1", workers("worker:1", 3, 3, 2, 2), "worker:2"))
        .as("the workers' template is not changed yet")
        .isEqualTo("cdc:1");
    assertThat(
            CdcRolloutOrder.cdcImage("cdc:2", "cdc:1", workers("worker:2", 4, 3, 2, 2), "worker:2"))
        .as("the Deployment controller has not seen the new template")
        .isEqualTo("cdc:1");
    assertThat(
            CdcRolloutOrder.cdcImage("cdc:2", "cdc:1", workers("worker:2", 4, 4, 3, 1), "worker:2"))
        .as("pods of the old ReplicaSet still run")
        .isEqualTo("cdc:1");
    assertThat(
            CdcRolloutOrder.cdcImage("cdc:2", "cdc:1", workers("worker:2", 4, 4, 2, 2), "worker:2"))
        .isEqualTo("cdc:2");
  }

  @Test
  void nothingWaitsWithoutAnOlderReaderOrWithoutAChange() {
    Deployment rolling = workers("worker:1", 3, 3, 2, 2);
    assertThat(CdcRolloutOrder.cdcImage("cdc:2", null, rolling, "worker:2"))
        .as("a new pipeline")
        .isEqualTo("cdc:2");
    assertThat(CdcRolloutOrder.cdcImage("cdc:2", "cdc:2", rolling, "worker:2")).isEqualTo("cdc:2");
    assertThat(CdcRolloutOrder.cdcImage("cdc:2", "cdc:1", null, "worker:2"))
        .as("no worker runs at all")
        .isEqualTo("cdc:2");
  }
}
