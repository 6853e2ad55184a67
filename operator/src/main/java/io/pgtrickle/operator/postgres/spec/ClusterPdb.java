package io.pgtrickle.operator.postgres.spec;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudgetBuilder;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.postgres.ClusterNames;

/** Voluntary disruptions (node drains) take at most one member at a time. */
public final class ClusterPdb {

  private ClusterPdb() {}

  public static PodDisruptionBudget podDisruptionBudget(PostgresCluster cluster) {
    return new PodDisruptionBudgetBuilder()
        .withMetadata(Metadata.of(cluster, ClusterNames.podDisruptionBudget(cluster), "database"))
        .withNewSpec()
        .withMaxUnavailable(new IntOrString(1))
        .withNewSelector()
        .withMatchLabels(ClusterNames.podSelector(cluster))
        .endSelector()
        .endSpec()
        .build();
  }
}
