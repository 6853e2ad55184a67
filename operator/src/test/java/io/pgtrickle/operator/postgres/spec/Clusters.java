package io.pgtrickle.operator.postgres.spec;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.api.PostgresClusterSpec;
import io.pgtrickle.operator.api.StorageSpec;

/** PostgresCluster objects for builder tests. */
public final class Clusters {

  private Clusters() {}

  public static PostgresCluster basic(int replicas) {
    PostgresCluster cluster = new PostgresCluster();
    cluster.setMetadata(
        new ObjectMetaBuilder()
            .withName("db")
            .withNamespace("ns")
            .withUid("uid-1")
            .withGeneration(1L)
            .build());
    PostgresClusterSpec spec = new PostgresClusterSpec();
    spec.setVersion(new IntOrString("16"));
    spec.setReplicas(replicas);
    StorageSpec storage = new StorageSpec();
    storage.setSize("10Gi");
    spec.setStorage(storage);
    cluster.setSpec(spec);
    return cluster;
  }

  public static PostgresCluster withMemoryLimit(String memory) {
    PostgresCluster cluster = basic(3);
    cluster
        .getSpec()
        .setResources(
            new ResourceRequirementsBuilder()
                .addToRequests("cpu", new Quantity("500m"))
                .addToLimits("memory", new Quantity(memory))
                .build());
    return cluster;
  }
}
