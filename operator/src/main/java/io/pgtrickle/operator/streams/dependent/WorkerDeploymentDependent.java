package io.pgtrickle.operator.streams.dependent;

import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import io.pgtrickle.operator.api.streams.StreamTableCluster;
import io.pgtrickle.operator.streams.StreamTableClusterNames;
import io.pgtrickle.operator.streams.spec.WorkerDeployment;

/** The workers' Deployment, applied only once the change log is ready (or it exists). */
@KubernetesDependent(informer = @Informer(labelSelector = StreamTableClusterNames.CLUSTER_LABEL))
public class WorkerDeploymentDependent
    extends CRUDKubernetesDependentResource<Deployment, StreamTableCluster> {

  @Override
  protected Deployment desired(StreamTableCluster stc, Context<StreamTableCluster> context) {
    return WorkerDeployment.build(Settings.of(stc));
  }
}
