package io.pgtrickle.operator.streams;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.pgtrickle.operator.api.streams.StreamTableCluster;
import io.pgtrickle.operator.streams.spec.CdcStatefulSet;
import io.pgtrickle.operator.streams.spec.WorkerDeployment;
import io.pgtrickle.testbed.TestNamespace;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * An image change of a pipeline reaches the CDC consumers (which write the change log) only once
 * every worker (which reads it) runs its new image ({@code CdcRolloutOrder}): before, both rolled
 * at once, so events of a new consumer could reach a worker too old to read them (json_text). The
 * new workers cannot be scheduled at first (kwok plays the pods, the real scheduler places them),
 * so the workers' rollout hangs; the consumers must keep their image until it completes.
 */
class CdcRolloutOrderIT {

  @RegisterExtension static final TestNamespace NAMESPACE = new TestNamespace();

  private static final Duration WAIT = Duration.ofSeconds(90);

  private static PipelineTestBed bed;

  @BeforeAll
  static void start() {
    bed = PipelineTestBed.start(NAMESPACE);
  }

  @AfterAll
  static void stop() {
    if (bed != null) {
      bed.close();
    }
  }

  @Test
  void theConsumersTakeANewImageOnlyOnceEveryWorkerRunsItsNewImage() throws Exception {
    apply("{" + bed.postgresqlSpec() + ", workers: {min: 1, max: 1, autoscaler: none}}");
    await("the consumers and the workers")
        .atMost(WAIT)
        .until(() -> statefulSet() != null && rolledOut(deployment()));
    String oldCdc = cdcImage(statefulSet());

    apply(
        "{"
            + bed.postgresqlSpec()
            + ", cdc: {image: 'registry.invalid/cdc-consumer:2'}, workers: {min: 1, max: 1,"
            + " autoscaler: none, image: 'registry.invalid/worker:2', resources: {requests: {cpu:"
            + " '64'}}}}");
    await("the workers' new template")
        .atMost(WAIT)
        .until(() -> "registry.invalid/worker:2".equals(workerImage(deployment())));
    // The new worker pod cannot be placed: the old one keeps running, the rollout hangs.
    Thread.sleep(10_000);
    assertThat(rolledOut(deployment())).isFalse();
    assertThat(cdcImage(statefulSet())).as("the consumers wait for the workers").isEqualTo(oldCdc);

    apply(
        "{"
            + bed.postgresqlSpec()
            + ", cdc: {image: 'registry.invalid/cdc-consumer:2'}, workers: {min: 1, max: 1,"
            + " autoscaler: none, image: 'registry.invalid/worker:2'}}");
    await("the consumers' new image once the workers rolled out")
        .atMost(WAIT)
        .until(() -> "registry.invalid/cdc-consumer:2".equals(cdcImage(statefulSet())));
    assertThat(rolledOut(deployment())).isTrue();
  }

  private static boolean rolledOut(Deployment d) {
    return d != null
        && d.getStatus() != null
        && d.getStatus().getObservedGeneration() != null
        && d.getStatus().getObservedGeneration() >= d.getMetadata().getGeneration()
        && d.getStatus().getReplicas() != null
        && d.getStatus().getReplicas().equals(d.getStatus().getUpdatedReplicas());
  }

  private static void apply(String spec) {
    String yaml =
        "apiVersion: trickle-labs.io/v1alpha1\nkind: StreamTableCluster\nmetadata:\n  name: order"
            + "\n  namespace: "
            + NAMESPACE.name()
            + "\nspec: "
            + spec
            + "\n";
    client()
        .resource(Serialization.unmarshal(yaml, StreamTableCluster.class))
        .forceConflicts()
        .serverSideApply();
  }

  private static StatefulSet statefulSet() {
    return client()
        .apps()
        .statefulSets()
        .inNamespace(NAMESPACE.name())
        .withName(StreamTableClusterNames.cdcStatefulSet("order"))
        .get();
  }

  private static Deployment deployment() {
    return client()
        .apps()
        .deployments()
        .inNamespace(NAMESPACE.name())
        .withName(StreamTableClusterNames.workerDeployment("order"))
        .get();
  }

  private static String cdcImage(StatefulSet sts) {
    return sts.getSpec().getTemplate().getSpec().getContainers().stream()
        .filter(c -> CdcStatefulSet.CONTAINER.equals(c.getName()))
        .findFirst()
        .orElseThrow()
        .getImage();
  }

  private static String workerImage(Deployment d) {
    return d == null
        ? null
        : d.getSpec().getTemplate().getSpec().getContainers().stream()
            .filter(c -> WorkerDeployment.CONTAINER.equals(c.getName()))
            .findFirst()
            .orElseThrow()
            .getImage();
  }

  private static KubernetesClient client() {
    return NAMESPACE.client();
  }
}
