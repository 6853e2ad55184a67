package io.pgtrickle.operator.streams.spec;

import io.pgtrickle.operator.api.streams.StreamTableCluster;
import io.pgtrickle.operator.postgres.spec.PipelineSlot;
import io.pgtrickle.operator.streams.StreamTableClusterNames;
import java.util.ArrayList;
import java.util.List;

/**
 * The replication slots a StreamTableCluster may have on the PostgresCluster it names ({@code
 * spec.postgresql.clusterRef}), for that cluster's Patroni to keep or leave alone ({@link
 * PipelineSlot}).
 *
 * <p>Every ordinal whose slot may exist is listed: {@code spec.cdc.replicas} consumers now, and up
 * to {@code status.slotOrdinals} while the slots of consumers scaled away are still being dropped.
 * Patroni keeps a slot ({@link PipelineSlot#keep}) once its consumer created it ({@code
 * status.createdSlots}) and while that consumer is wanted; once the resource is being deleted none
 * is kept. A slot stops being kept as soon as its consumer is no longer wanted, before the
 * decommission Job drops it (the Job waits for the consumer's pod to go), so Patroni does not
 * create it again; once the status forgets the ordinal the slot is listed no more, and Patroni
 * drops any copy of it left on a replica. A pipeline with {@code spec.postgresql.host} is on a
 * server the operator does not run: none.
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
  public static List<PipelineSlot> on(StreamTableCluster stc, String clusterName) {
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
    List<String> created =
        stc.getStatus() == null || stc.getStatus().getCreatedSlots() == null
            ? List.of()
            : stc.getStatus().getCreatedSlots();
    List<PipelineSlot> slots = new ArrayList<>();
    boolean deleting = stc.getMetadata().getDeletionTimestamp() != null;
    for (int ordinal = 0; ordinal < Math.max(consumers, known); ordinal++) {
      String name = StreamTableClusterNames.slot(stc.getMetadata().getName(), ordinal);
      slots.add(
          new PipelineSlot(
              name,
              source.getDatabase(),
              !deleting && ordinal < consumers && created.contains(name)));
    }
    return slots;
  }
}
