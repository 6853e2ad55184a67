package io.pgtrickle.operator.postgres.dependent;

import io.fabric8.kubernetes.api.model.Secret;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.BooleanWithUndefined;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.postgres.ClusterNames;
import io.pgtrickle.operator.postgres.spec.SidecarObjects;

/** The exporter's database user; created once; shares the Secret informer. */
@KubernetesDependent(useSSA = BooleanWithUndefined.FALSE)
public class MonitoringSecretDependent extends CreateOnlySecretDependent {
  @Override
  protected String name(PostgresCluster cluster) {
    return ClusterNames.monitoringSecret(cluster);
  }

  @Override
  protected Secret desired(PostgresCluster cluster, Context<PostgresCluster> context) {
    return SidecarObjects.monitoringSecret(cluster);
  }
}
