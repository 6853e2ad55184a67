package io.pgtrickle.operator.postgres.dependent;

import io.fabric8.kubernetes.api.model.Service;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.postgres.spec.ClusterServices;

/** The StatefulSet's headless Service. Shares the informer of {@link PrimaryServiceDependent}. */
public class HeadlessServiceDependent
    extends CRUDKubernetesDependentResource<Service, PostgresCluster> {

  @Override
  protected Service desired(PostgresCluster cluster, Context<PostgresCluster> context) {
    return ClusterServices.headless(cluster);
  }
}
