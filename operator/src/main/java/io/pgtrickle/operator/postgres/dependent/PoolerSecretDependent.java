package io.pgtrickle.operator.postgres.dependent;

import io.fabric8.kubernetes.api.model.Secret;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.BooleanWithUndefined;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.postgres.ClusterNames;
import io.pgtrickle.operator.postgres.spec.SidecarObjects;

/** PgBouncer's auth_query user; created once; shares the Secret informer. */
@KubernetesDependent(useSSA = BooleanWithUndefined.FALSE)
public class PoolerSecretDependent extends CreateOnlySecretDependent {
  @Override
  protected String name(PostgresCluster cluster) {
    return ClusterNames.poolerSecret(cluster);
  }

  @Override
  protected Secret desired(PostgresCluster cluster, Context<PostgresCluster> context) {
    return SidecarObjects.poolerSecret(cluster);
  }
}
