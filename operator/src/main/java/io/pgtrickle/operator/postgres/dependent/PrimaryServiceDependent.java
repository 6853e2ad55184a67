package io.pgtrickle.operator.postgres.dependent;

import io.fabric8.kubernetes.api.model.Service;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.postgres.ClusterNames;
import io.pgtrickle.operator.postgres.spec.ClusterServices;

/** The read-write Service; its informer is shared by the other two Services. */
@KubernetesDependent(informer = @Informer(labelSelector = ClusterNames.MANAGED_SELECTOR))
public class PrimaryServiceDependent
    extends CRUDKubernetesDependentResource<Service, PostgresCluster> {

  @Override
  protected Service desired(PostgresCluster cluster, Context<PostgresCluster> context) {
    return ClusterServices.primary(cluster);
  }
}
