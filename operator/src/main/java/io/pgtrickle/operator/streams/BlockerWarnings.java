package io.pgtrickle.operator.streams;

import io.pgtrickle.operator.status.PodBlocker;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The pod trouble ({@link PodBlocker}'s reason) each pipeline was last warned about, in memory, so
 * that one trouble gets one Warning Event.
 *
 * <p>Why not only the status: a reconcile may start from a StreamTableCluster read before the
 * status patch that recorded the reason (the cache lags the patch), so it sees the trouble as new
 * and would warn a second time (StreamTableClusterPodProblemsIT saw two Events). The status still
 * counts after an operator restart, when this memory is empty.
 */
final class BlockerWarnings {

  private final Map<String, String> lastWarned = new ConcurrentHashMap<>();

  /**
   * Whether a Warning for {@code reason} was already recorded for this pipeline's current trouble;
   * remembers {@code reason} as warned (the caller warns when this says no), or forgets the trouble
   * when the status reason is no pod's blocker any more.
   *
   * @param uid the StreamTableCluster's uid
   * @param reason the new status reason
   * @param blocked whether {@code reason} is a blocked pod's
   */
  boolean alreadyWarned(String uid, String reason, boolean blocked) {
    if (!blocked) {
      lastWarned.remove(uid);
      return false;
    }
    String before = lastWarned.put(uid, reason);
    return PodBlocker.sameTrouble(before, reason);
  }

  void forget(String uid) {
    lastWarned.remove(uid);
  }
}
