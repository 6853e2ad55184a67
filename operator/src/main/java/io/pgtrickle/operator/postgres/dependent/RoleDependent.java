package io.pgtrickle.operator.postgres.dependent;

import io.fabric8.kubernetes.api.model.rbac.Role;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.postgres.ClusterNames;
import io.pgtrickle.operator.postgres.spec.PatroniRbac;

/** Patroni's Role. */
@KubernetesDependent(informer = @Informer(labelSelector = ClusterNames.MANAGED_SELECTOR))
public class RoleDependent extends CRUDKubernetesDependentResource<Role, PostgresCluster> {

  @Override
  protected Role desired(PostgresCluster cluster, Context<PostgresCluster> context) {
    return PatroniRbac.role(cluster);
  }
}
