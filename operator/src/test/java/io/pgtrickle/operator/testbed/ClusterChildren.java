package io.pgtrickle.operator.testbed;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.ArrayList;
import java.util.List;

/** Every object the operator creates for a PostgresCluster, found by the cluster label. */
public final class ClusterChildren {

  public static final int COUNT = 13;
  private static final String LABEL = "postgres.example.com/cluster";

  private ClusterChildren() {}

  public static List<HasMetadata> of(KubernetesClient client, String namespace, String cluster) {
    List<HasMetadata> all = new ArrayList<>();
    all.addAll(
        client
            .apps()
            .statefulSets()
            .inNamespace(namespace)
            .withLabel(LABEL, cluster)
            .list()
            .getItems());
    all.addAll(
        client.services().inNamespace(namespace).withLabel(LABEL, cluster).list().getItems());
    all.addAll(
        client.configMaps().inNamespace(namespace).withLabel(LABEL, cluster).list().getItems());
    all.addAll(client.secrets().inNamespace(namespace).withLabel(LABEL, cluster).list().getItems());
    all.addAll(
        client
            .serviceAccounts()
            .inNamespace(namespace)
            .withLabel(LABEL, cluster)
            .list()
            .getItems());
    all.addAll(
        client.rbac().roles().inNamespace(namespace).withLabel(LABEL, cluster).list().getItems());
    all.addAll(
        client
            .rbac()
            .roleBindings()
            .inNamespace(namespace)
            .withLabel(LABEL, cluster)
            .list()
            .getItems());
    all.addAll(
        client
            .policy()
            .v1()
            .podDisruptionBudget()
            .inNamespace(namespace)
            .withLabel(LABEL, cluster)
            .list()
            .getItems());
    return all;
  }
}
