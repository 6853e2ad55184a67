package io.pgtrickle.operator.postgres.dependent;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.postgres.spec.SidecarObjects;

/** PgBouncer's pgbouncer.ini; shares the ConfigMap informer. */
public class PoolerConfigMapDependent
    extends CRUDKubernetesDependentResource<ConfigMap, PostgresCluster> {
  @Override
  protected ConfigMap desired(PostgresCluster cluster, Context<PostgresCluster> context) {
    return SidecarObjects.poolerConfig(cluster);
  }
}
