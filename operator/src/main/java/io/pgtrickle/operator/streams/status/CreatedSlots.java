package io.pgtrickle.operator.streams.status;

import io.pgtrickle.operator.streams.StreamTableClusterNames;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code status.createdSlots}: the slots of the wanted CDC consumers that those consumers have
 * created. Only then may Patroni keep a slot as a permanent slot ({@link
 * io.pgtrickle.operator.postgres.spec.PipelineSlot}): the consumer creates its publication first
 * and its slot after, so the slot's history starts after the publication; a slot Patroni created
 * first would start before it, and pgoutput fails on such a slot for good.
 *
 * <p>A name once seen stays while its consumer is wanted, even when the slot is missing for a while
 * (a failover to a member without a copy: Patroni then creates it again, the consumer finds it
 * ahead of what it confirmed and records a gap). It goes when its consumer is no longer wanted (a
 * scale-down of {@code spec.cdc.replicas}), so that Patroni lets the decommission Job drop it.
 */
public final class CreatedSlots {

  private CreatedSlots() {}

  /**
   * The next value.
   *
   * @param pipeline the StreamTableCluster's name
   * @param consumers CDC consumers wanted ({@code spec.cdc.replicas})
   * @param previous the last value, or null
   * @param existing the pipeline's slots on the primary now, or null when the database did not
   *     answer
   * @return the wanted consumers' slots seen now or before, by ordinal; null when none
   */
  public static List<String> next(
      String pipeline, int consumers, List<String> previous, List<String> existing) {
    List<String> created = new ArrayList<>();
    for (int ordinal = 0; ordinal < consumers; ordinal++) {
      String slot = StreamTableClusterNames.slot(pipeline, ordinal);
      if ((previous != null && previous.contains(slot))
          || (existing != null && existing.contains(slot))) {
        created.add(slot);
      }
    }
    return created.isEmpty() ? null : created;
  }
}
