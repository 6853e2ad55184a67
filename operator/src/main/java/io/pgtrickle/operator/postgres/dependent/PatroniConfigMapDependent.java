package io.pgtrickle.operator.postgres.dependent;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.backup.RestoreSources;
import io.pgtrickle.operator.postgres.spec.ClusterConfigMaps;

/** Patroni's configuration file. Shares the informer of {@link PostgresqlConfigMapDependent}. */
public class PatroniConfigMapDependent
    extends CRUDKubernetesDependentResource<ConfigMap, PostgresCluster> {

  @Override
  protected ConfigMap desired(PostgresCluster cluster, Context<PostgresCluster> context) {
    var tls = StatefulSetDependent.tlsTransition(cluster, context);
    return ClusterConfigMaps.patroni(
        tls.buildFrom(),
        RestoreSources.forBuilders(context.getClient(), cluster),
        tls.transition());
  }
}
