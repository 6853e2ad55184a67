package io.pgtrickle.operator.postgres.dependent;

import io.fabric8.kubernetes.api.model.Service;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.postgres.spec.SidecarObjects;

/** {@code NAME-pooler}; shares the Service informer. */
public class PoolerServiceDependent
    extends CRUDKubernetesDependentResource<Service, PostgresCluster> {
  @Override
  protected Service desired(PostgresCluster cluster, Context<PostgresCluster> context) {
    return SidecarObjects.poolerService(cluster);
  }
}
