package io.pgtrickle.operator.streams.dependent;

import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import io.pgtrickle.operator.api.streams.StreamTableCluster;
import io.pgtrickle.operator.streams.StreamTableClusterNames;
import io.pgtrickle.operator.streams.spec.WorkerAutoscaler;

/** The workers' HPA; deleted by the workflow when {@code workers.autoscaler} is not hpa. */
@KubernetesDependent(informer = @Informer(labelSelector = StreamTableClusterNames.CLUSTER_LABEL))
public class WorkerAutoscalerDependent
    extends CRUDKubernetesDependentResource<HorizontalPodAutoscaler, StreamTableCluster> {

  @Override
  protected HorizontalPodAutoscaler desired(
      StreamTableCluster stc, Context<StreamTableCluster> context) {
    return WorkerAutoscaler.build(Settings.of(stc));
  }
}
