package io.pgtrickle.operator.postgres.dependent;

import io.fabric8.kubernetes.api.model.Secret;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.BooleanWithUndefined;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.postgres.ClusterNames;
import io.pgtrickle.operator.postgres.spec.ClusterSecrets;

/**
 * The superuser Secret. Its informer has no label selector, so a user-made Secret is seen; the
 * replication Secret shares it. Created with a plain create, never server-side apply, so an
 * existing Secret can never be overwritten.
 */
@KubernetesDependent(useSSA = BooleanWithUndefined.FALSE)
public class CredentialsSecretDependent extends CreateOnlySecretDependent {

  @Override
  protected String name(PostgresCluster cluster) {
    return ClusterNames.credentialsSecret(cluster);
  }

  @Override
  protected Secret desired(PostgresCluster cluster, Context<PostgresCluster> context) {
    return ClusterSecrets.credentials(cluster);
  }
}
