package io.pgtrickle.operator.streams.spec;

import io.pgtrickle.operator.api.streams.StreamTableCluster;
import io.pgtrickle.operator.postgres.spec.IgnoredSlot;
import io.pgtrickle.operator.streams.StreamTableClusterNames;
import java.util.ArrayList;
import java.util.List;

/**
 * The replication slots a StreamTableCluster may have on the PostgresCluster it names ({@code
 * spec.postgresql.clusterRef}), for that cluster's Patroni to leave alone ({@link IgnoredSlot}).
 *
 * <p>Every ordinal whose slot may exist is listed: {@code spec.cdc.replicas} consumers now, and up
 * to {@code status.slotOrdinals} while the slots of consumers scaled away are still being dropped.
 * A pipeline with {@code spec.postgresql.host} is on a server the operator does not run: none.
 */
public final class PipelineSlots {

  private PipelineSlots() {}

  /**
   * The slots of {@code stc} on the PostgresCluster {@code clusterName} of its namespace.
   *
   * @param stc the pipeline
   * @param clusterName the PostgresCluster's name
   * @return the slots, by ordinal; empty when the pipeline is on another server
   */
  public static List<IgnoredSlot> on(StreamTableCluster stc, String clusterName) {
    var source = stc.getSpec() == null ? null : stc.getSpec().getPostgresql();
    if (source == null
        || source.getClusterRef() == null
        || !clusterName.equals(source.getClusterRef().getName())
        || source.getDatabase() == null) {
      return List.of();
    }
    int consumers =
        stc.getSpec().getCdc() == null || stc.getSpec().getCdc().getReplicas() == null
            ? 1
            : stc.getSpec().getCdc().getReplicas();
    int known =
        stc.getStatus() == null || stc.getStatus().getSlotOrdinals() == null
            ? 0
            : stc.getStatus().getSlotOrdinals();
    List<IgnoredSlot> slots = new ArrayList<>();
    for (int ordinal = 0; ordinal < Math.max(consumers, known); ordinal++) {
      slots.add(
          new IgnoredSlot(
              StreamTableClusterNames.slot(stc.getMetadata().getName(), ordinal),
              source.getDatabase()));
    }
    return slots;
  }
}
