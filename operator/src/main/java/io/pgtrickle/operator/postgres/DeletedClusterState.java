package io.pgtrickle.operator.postgres;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.pgtrickle.operator.api.PostgresCluster;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Patroni's state of a deleted cluster, removed so that a cluster created again under its name
 * bootstraps instead of joining a ghost. Patroni's DCS ConfigMaps ({@code NAME-config}, {@code
 * NAME-leader}, ...) are Patroni's, not children with owner references, so the finalizer deletes
 * them, but only once the members have stopped: a running primary whose {@code NAME-config} is gone
 * writes it again at its next loop with its system identifier ({@code initialize}), and a cluster
 * created again on a new, empty volume then waits for ever for a leader to clone from (CI,
 * 2026-12-07: {@code PatroniBootstrapIT}, "fresh Running" never, the old members deleted only after
 * the finalizer by garbage collection). So the members are stopped first: the StatefulSet (which
 * garbage collection removes only after the cluster) is scaled to 0, its pods terminate together
 * ({@code Parallel}), gracefully; then the ConfigMaps go. A member that does not go within {@link
 * #MEMBERS_BOUND} (a lost node) does not hold the deletion up for longer: the ConfigMaps go then,
 * with a warning.
 */
final class DeletedClusterState {

  /** How long the deletion waits for the members to stop. */
  static final Duration MEMBERS_BOUND = Duration.ofSeconds(90);

  /** How often it looks while they stop. */
  static final Duration MEMBERS_POLL = Duration.ofSeconds(2);

  private static final Logger LOG = LoggerFactory.getLogger(DeletedClusterState.class);

  private DeletedClusterState() {}

  /**
   * Whether the deletion waits for members still running: while any exists and the cluster's
   * deletion began less than {@link #MEMBERS_BOUND} before {@code now}. Pure.
   *
   * @param deletionTimestamp the cluster's {@code metadata.deletionTimestamp} (RFC 3339), or null
   */
  static boolean waitsForMembers(int members, String deletionTimestamp, Instant now) {
    if (members == 0) {
      return false;
    }
    if (deletionTimestamp == null) {
      return true;
    }
    return Instant.parse(deletionTimestamp).plus(MEMBERS_BOUND).isAfter(now);
  }

  /**
   * Stops the members, then removes Patroni's DCS.
   *
   * @return when to look again while members stop; empty once the DCS is removed
   */
  static Optional<Duration> remove(KubernetesClient client, PostgresCluster cluster, Instant now) {
    String namespace = cluster.getMetadata().getNamespace();
    List<Pod> members =
        client
            .pods()
            .inNamespace(namespace)
            .withLabels(ClusterNames.podSelector(cluster))
            .list()
            .getItems();
    if (waitsForMembers(members.size(), cluster.getMetadata().getDeletionTimestamp(), now)) {
      StatefulSet set =
          client
              .apps()
              .statefulSets()
              .inNamespace(namespace)
              .withName(ClusterNames.statefulSet(cluster))
              .get();
      if (set != null && set.getSpec().getReplicas() != null && set.getSpec().getReplicas() > 0) {
        client
            .apps()
            .statefulSets()
            .inNamespace(namespace)
            .withName(ClusterNames.statefulSet(cluster))
            .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"replicas\":0}}");
      }
      return Optional.of(MEMBERS_POLL);
    }
    if (!members.isEmpty()) {
      LOG.warn(
          "PostgresCluster {}/{} deleted: members {} did not stop within {} s; removing Patroni's"
              + " state anyway",
          namespace,
          cluster.getMetadata().getName(),
          members.stream().map(p -> p.getMetadata().getName()).toList(),
          MEMBERS_BOUND.toSeconds());
    }
    client
        .configMaps()
        .inNamespace(namespace)
        .withLabel(ClusterNames.PATRONI_SCOPE_LABEL, ClusterNames.patroniScope(cluster))
        .withLabel(ClusterNames.PATRONI_LABEL, ClusterNames.PATRONI_LABEL_VALUE)
        .delete();
    return Optional.empty();
  }
}
