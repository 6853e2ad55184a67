package io.pgtrickle.operator.postgres;

import io.fabric8.kubernetes.api.model.Pod;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.testbed.Edits;
import io.pgtrickle.testbed.TestNamespace;
import java.util.List;

/** Shared steps of the PostgresCluster integration tests. */
final class ClusterFixtures {

  private final TestNamespace namespace;

  ClusterFixtures(TestNamespace namespace) {
    this.namespace = namespace;
  }

  PostgresCluster apply(String yamlSpec, String name) {
    String yaml =
        "apiVersion: postgres.example.com/v1\nkind: PostgresCluster\nmetadata:\n  name: "
            + name
            + "\n  namespace: "
            + namespace.name()
            + "\nspec: "
            + yamlSpec
            + "\n";
    PostgresCluster cluster =
        namespace.client().getKubernetesSerialization().unmarshal(yaml, PostgresCluster.class);
    return namespace
        .client()
        .resource(cluster)
        .fieldManager("test")
        .forceConflicts()
        .serverSideApply();
  }

  PostgresCluster get(String name) {
    return namespace
        .client()
        .resources(PostgresCluster.class)
        .inNamespace(namespace.name())
        .withName(name)
        .get();
  }

  List<Pod> pods(String cluster) {
    return namespace
        .client()
        .pods()
        .inNamespace(namespace.name())
        .withLabel(ClusterNames.CLUSTER_LABEL, cluster)
        .list()
        .getItems();
  }

  /** Labels a pod primary, as Patroni does when it takes the leader lock. */
  void markPrimary(String pod) {
    markRole(pod, ClusterNames.ROLE_PRIMARY);
  }

  /** Labels a pod replica, as Patroni does for members that follow the leader. */
  void markReplica(String pod) {
    markRole(pod, ClusterNames.ROLE_REPLICA);
  }

  private void markRole(String pod, String role) {
    Edits.edit(
        namespace.client().pods().inNamespace(namespace.name()).withName(pod),
        p -> {
          p.getMetadata().getLabels().put(ClusterNames.ROLE_LABEL, role);
          return p;
        });
  }
}
