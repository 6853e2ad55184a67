package io.pgtrickle.operator.streams.spec;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.util.Objects;

/**
 * The order of an image change across a pipeline: the workers, which read the change log, first;
 * the CDC consumers, which write it, once no worker of an older image runs. The change-log format
 * only grows in ways a newer reader understands, and an older reader skips what it does not know: a
 * worker older than 2026-12-07 reads the json values of a {@code json_text} event as JSON strings
 * and stores them so. Rolled together, as the operator did, a new consumer's events could reach an
 * old worker during an upgrade. So a consumer of the change log may be newer than the events it
 * reads, never older. Pure.
 */
public final class CdcRolloutOrder {

  private CdcRolloutOrder() {}

  /**
   * The image the CDC consumers' StatefulSet gets now.
   *
   * @param desiredCdc the image the spec (or the operator's default) asks for
   * @param liveCdc the image the live StatefulSet has, or null when there is none yet
   * @param workers the live worker Deployment, or null when there is none
   * @param desiredWorker the image the workers are asked to run
   * @return {@code desiredCdc}, or {@code liveCdc} while workers of another image than {@code
   *     desiredWorker} may still run
   */
  public static String cdcImage(
      String desiredCdc, String liveCdc, Deployment workers, String desiredWorker) {
    if (liveCdc == null || liveCdc.equals(desiredCdc) || workers == null) {
      return desiredCdc;
    }
    return workersRolledOut(workers, desiredWorker) ? desiredCdc : liveCdc;
  }

  /**
   * Whether every pod of {@code workers} runs {@code image}: the template has it, the Deployment
   * controller has seen that template ({@code observedGeneration}), and every pod it has is of it
   * ({@code replicas == updatedReplicas}, so no pod of an older ReplicaSet is left).
   */
  static boolean workersRolledOut(Deployment workers, String image) {
    var template = workers.getSpec().getTemplate().getSpec();
    boolean templated =
        template.getContainers().stream()
            .filter(c -> WorkerDeployment.CONTAINER.equals(c.getName()))
            .map(Container::getImage)
            .anyMatch(image::equals);
    var status = workers.getStatus();
    if (!templated || status == null) {
      return false;
    }
    long generation = Objects.requireNonNullElse(workers.getMetadata().getGeneration(), 0L);
    long observed = Objects.requireNonNullElse(status.getObservedGeneration(), 0L);
    int updated = Objects.requireNonNullElse(status.getUpdatedReplicas(), 0);
    int pods = Objects.requireNonNullElse(status.getReplicas(), 0);
    return observed >= generation && pods == updated;
  }
}
