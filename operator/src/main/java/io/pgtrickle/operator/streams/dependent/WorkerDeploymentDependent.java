package io.pgtrickle.operator.streams.dependent;

import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import io.pgtrickle.operator.api.streams.StreamTableCluster;
import io.pgtrickle.operator.streams.StreamTableClusterNames;
import io.pgtrickle.operator.streams.spec.ReplicasHandover;
import io.pgtrickle.operator.streams.spec.WorkerDeployment;
import java.util.OptionalInt;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The workers' Deployment, applied only once the change log is ready (or it exists).
 *
 * <p>When an autoscaler takes over (desired without {@code replicas}), the live count is first
 * handed over ({@link ReplicasHandover}), so the operator's apply does not reset the workers to 1.
 * The Deployment is created with {@code workers.min} replicas either way.
 */
@KubernetesDependent(informer = @Informer(labelSelector = StreamTableClusterNames.CLUSTER_LABEL))
public class WorkerDeploymentDependent
    extends CRUDKubernetesDependentResource<Deployment, StreamTableCluster> {

  private static final Logger LOG = LoggerFactory.getLogger(WorkerDeploymentDependent.class);

  @Override
  protected Deployment desired(StreamTableCluster stc, Context<StreamTableCluster> context) {
    Deployment deployment = WorkerDeployment.build(Settings.of(stc));
    SecretVersions.stamp(deployment.getSpec().getTemplate(), liveTemplate(context), context);
    return deployment;
  }

  private static io.fabric8.kubernetes.api.model.PodTemplateSpec liveTemplate(
      Context<StreamTableCluster> context) {
    return context
        .getSecondaryResource(Deployment.class)
        .map(d -> d.getSpec().getTemplate())
        .orElse(null);
  }

  /**
   * Created with {@code workers.min} replicas also under an autoscaler ({@link
   * WorkerDeployment#forCreation}); before, the Deployment started with 1 worker until the HPA
   * raised it to its minimum.
   */
  @Override
  public Deployment create(
      Deployment desired, StreamTableCluster stc, Context<StreamTableCluster> context) {
    Deployment deployment = WorkerDeployment.forCreation(Settings.of(stc));
    SecretVersions.stamp(deployment.getSpec().getTemplate(), null, context);
    return super.create(deployment, stc, context);
  }

  @Override
  public Deployment update(
      Deployment actual,
      Deployment desired,
      StreamTableCluster stc,
      Context<StreamTableCluster> context) {
    OptionalInt handOver =
        ReplicasHandover.replicasToHandOver(
            actual, desired, context.getControllerConfiguration().fieldManager());
    if (handOver.isPresent()) {
      handOver(actual, handOver.getAsInt(), context);
    }
    return super.update(actual, desired, stc, context);
  }

  /**
   * Applies the live count as {@value ReplicasHandover#FIELD_MANAGER}. Not forced: if the count
   * changed since the cache saw it (the HPA scaled), the API server refuses with a conflict, the
   * reconcile fails before the operator's apply, and the retry decides again from the new state.
   */
  private static void handOver(
      Deployment actual, int replicas, Context<StreamTableCluster> context) {
    String namespace = actual.getMetadata().getNamespace();
    String name = actual.getMetadata().getName();
    LOG.info(
        "Deployment {}/{}: handing spec.replicas ({}) over to field manager {} before the"
            + " autoscaler takes it",
        namespace,
        name,
        replicas,
        ReplicasHandover.FIELD_MANAGER);
    context
        .getClient()
        .apps()
        .deployments()
        .inNamespace(namespace)
        .withName(name)
        .patch(
            new PatchContext.Builder()
                .withPatchType(PatchType.SERVER_SIDE_APPLY)
                .withFieldManager(ReplicasHandover.FIELD_MANAGER)
                .withForce(false)
                .build(),
            ReplicasHandover.applyBody(namespace, name, replicas));
  }
}
