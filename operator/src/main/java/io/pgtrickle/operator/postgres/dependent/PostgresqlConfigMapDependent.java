package io.pgtrickle.operator.postgres.dependent;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.postgres.ClusterNames;
import io.pgtrickle.operator.postgres.spec.ClusterConfigMaps;

/** postgresql.conf parameters; its informer is shared with the Patroni ConfigMap. */
@KubernetesDependent(informer = @Informer(labelSelector = ClusterNames.MANAGED_SELECTOR))
public class PostgresqlConfigMapDependent
    extends CRUDKubernetesDependentResource<ConfigMap, PostgresCluster> {

  @Override
  protected ConfigMap desired(PostgresCluster cluster, Context<PostgresCluster> context) {
    return ClusterConfigMaps.postgresql(cluster);
  }
}
