package io.pgtrickle.operator.streams.dependent;

import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import io.pgtrickle.operator.api.streams.StreamTableCluster;
import io.pgtrickle.operator.streams.StreamTableClusterNames;
import io.pgtrickle.operator.streams.spec.CdcStatefulSet;

/** The CDC consumers' StatefulSet, applied only once the change log is ready (or it exists). */
@KubernetesDependent(informer = @Informer(labelSelector = StreamTableClusterNames.CLUSTER_LABEL))
public class CdcStatefulSetDependent
    extends CRUDKubernetesDependentResource<StatefulSet, StreamTableCluster> {

  @Override
  protected StatefulSet desired(StreamTableCluster stc, Context<StreamTableCluster> context) {
    var s = Settings.of(stc);
    StatefulSet sts = CdcStatefulSet.build(s, s.cdcReplicas());
    SecretVersions.stamp(
        sts.getSpec().getTemplate(),
        context
            .getSecondaryResource(StatefulSet.class)
            .map(live -> live.getSpec().getTemplate())
            .orElse(null),
        context);
    return sts;
  }
}
