package io.pgtrickle.operator.postgres.dependent;

import io.fabric8.kubernetes.api.model.Secret;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.BooleanWithUndefined;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.postgres.ClusterNames;
import io.pgtrickle.operator.postgres.spec.ClusterSecrets;

/**
 * The replication, pg_rewind and Patroni REST API credentials; shares the informer of {@link
 * CredentialsSecretDependent}.
 */
@KubernetesDependent(useSSA = BooleanWithUndefined.FALSE)
public class ReplicationSecretDependent extends CreateOnlySecretDependent {

  @Override
  protected String name(PostgresCluster cluster) {
    return ClusterNames.replicationSecret(cluster);
  }

  @Override
  protected Secret desired(PostgresCluster cluster, Context<PostgresCluster> context) {
    return ClusterSecrets.replication(cluster);
  }
}
