package io.pgtrickle.operator.streams.dependent;

import io.fabric8.kubernetes.api.model.Service;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import io.pgtrickle.operator.api.streams.StreamTableCluster;
import io.pgtrickle.operator.streams.StreamTableClusterNames;
import io.pgtrickle.operator.streams.spec.PipelineServices;

/** The cdc pods' metrics Service. */
@KubernetesDependent(informer = @Informer(labelSelector = StreamTableClusterNames.CLUSTER_LABEL))
public class CdcServiceDependent
    extends CRUDKubernetesDependentResource<Service, StreamTableCluster> {

  @Override
  protected Service desired(StreamTableCluster stc, Context<StreamTableCluster> context) {
    return PipelineServices.cdc(Settings.of(stc));
  }
}
