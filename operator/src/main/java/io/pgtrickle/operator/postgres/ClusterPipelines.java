package io.pgtrickle.operator.postgres;

import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.api.streams.StreamTableCluster;
import io.pgtrickle.operator.postgres.spec.PipelineSlot;
import io.pgtrickle.operator.streams.spec.PipelineSlots;
import java.util.List;
import java.util.Set;

/**
 * The StreamTableClusters on a PostgresCluster ({@code spec.postgresql.clusterRef}), watched so
 * that the cluster's Patroni learns their replication slots (permanent slots or {@code
 * ignore_slots}, see {@link PipelineSlot}) as soon as a pipeline appears, scales its CDC consumers
 * or goes.
 */
final class ClusterPipelines {

  static final String EVENT_SOURCE = "stream-table-clusters";

  private ClusterPipelines() {}

  /** StreamTableClusters, each mapped to the PostgresCluster it names, if any. */
  static InformerEventSource<StreamTableCluster, PostgresCluster> eventSource(
      EventSourceContext<PostgresCluster> context) {
    return new InformerEventSource<>(
        InformerEventSourceConfiguration.from(StreamTableCluster.class, PostgresCluster.class)
            .withName(EVENT_SOURCE)
            .withSecondaryToPrimaryMapper(ClusterPipelines::clusterOf)
            .build(),
        context);
  }

  private static Set<ResourceID> clusterOf(StreamTableCluster stc) {
    var source = stc.getSpec() == null ? null : stc.getSpec().getPostgresql();
    return source == null || source.getClusterRef() == null
        ? Set.of()
        : Set.of(
            new ResourceID(source.getClusterRef().getName(), stc.getMetadata().getNamespace()));
  }

  /**
   * A {@code wal_level} in spec.postgresqlParams that the pipelines on {@code cluster} cannot run
   * with: their CDC consumers read it by logical decoding, and PostgreSQL does not even start with
   * their logical slots below {@code logical} ("FATAL: logical replication slot ... exists, but
   * wal_level &lt; logical"): the first member restarted stayed down. Refused like any invalid
   * parameter (nothing is applied, the running members keep running).
   */
  static java.util.Optional<ClusterValidation.Problem> walLevelProblem(
      Context<PostgresCluster> context, PostgresCluster cluster) {
    java.util.Map<String, String> params = cluster.getSpec().getPostgresqlParams();
    if (params == null) {
      return java.util.Optional.empty();
    }
    String level =
        params.entrySet().stream()
            .filter(e -> "wal_level".equalsIgnoreCase(e.getKey()))
            .map(java.util.Map.Entry::getValue)
            .findFirst()
            .orElse(null);
    if (level == null || "logical".equalsIgnoreCase(level.trim())) {
      return java.util.Optional.empty();
    }
    List<String> pipelines = pipelines(context, cluster);
    if (pipelines.isEmpty()) {
      return java.util.Optional.empty();
    }
    return java.util.Optional.of(
        new ClusterValidation.Problem(
            io.pgtrickle.operator.postgres.spec.ParameterCheck.INVALID,
            "spec.postgresqlParams.wal_level: "
                + level
                + " is not allowed while StreamTableCluster "
                + String.join(", ", pipelines)
                + " reads this cluster by logical decoding, which needs wal_level logical (a"
                + " member restarted with "
                + level
                + " does not start: its logical replication slots need logical); remove it or"
                + " delete the StreamTableCluster first",
            false));
  }

  /** The names of the StreamTableClusters on {@code cluster}, sorted. */
  static List<String> pipelines(Context<PostgresCluster> context, PostgresCluster cluster) {
    String name = cluster.getMetadata().getName();
    return cached(context, cluster)
        .filter(stc -> clusterOf(stc).stream().anyMatch(id -> id.getName().equals(name)))
        .map(stc -> stc.getMetadata().getName())
        .sorted()
        .toList();
  }

  /** The slots of the pipelines on {@code cluster}, from the informer's cache. */
  static List<PipelineSlot> slots(Context<PostgresCluster> context, PostgresCluster cluster) {
    String name = cluster.getMetadata().getName();
    return cached(context, cluster).flatMap(stc -> PipelineSlots.on(stc, name).stream()).toList();
  }

  /** The StreamTableClusters of the cluster's namespace, from the informer's cache. */
  @SuppressWarnings("unchecked")
  private static java.util.stream.Stream<StreamTableCluster> cached(
      Context<PostgresCluster> context, PostgresCluster cluster) {
    var source =
        (InformerEventSource<StreamTableCluster, PostgresCluster>)
            context
                .eventSourceRetriever()
                .getEventSourceFor(StreamTableCluster.class, EVENT_SOURCE);
    return source.list(cluster.getMetadata().getNamespace(), stc -> true);
  }
}
