package io.pgtrickle.operator.streams;

import io.pgtrickle.operator.streams.status.PipelineEvents;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What the operator remembers of each pipeline for its Events ({@link PipelineEvents.Memory}), in
 * memory, by uid.
 *
 * <p>Why not only the status: a reconcile may start from a StreamTableCluster read before the
 * status patch that recorded the last phase (the cache lags the patch), so it would see a trouble
 * as new and warn a second time (StreamTableClusterPodProblemsIT saw two Events). After an operator
 * restart, when this memory is empty, the status stands in for it.
 */
final class PipelineEventMemory {

  private final Map<String, PipelineEvents.Memory> memories = new ConcurrentHashMap<>();

  PipelineEvents.Memory get(String uid) {
    return memories.getOrDefault(uid, PipelineEvents.Memory.NONE);
  }

  void put(String uid, PipelineEvents.Memory memory) {
    memories.put(uid, memory);
  }

  void forget(String uid) {
    memories.remove(uid);
  }
}
