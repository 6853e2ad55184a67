package io.pgtrickle.operator.postgres.spec;

import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.postgres.ClusterNames;

/** Metadata shared by every child: name, namespace and the cluster's labels. */
final class Metadata {

  private Metadata() {}

  static ObjectMeta of(PostgresCluster cluster, String name, String component) {
    return new ObjectMetaBuilder()
        .withName(name)
        .withNamespace(cluster.getMetadata().getNamespace())
        .withLabels(ClusterNames.labels(cluster, component))
        .build();
  }
}
