package io.pgtrickle.worker.dvm;

import java.util.Map;

/**
 * What the windows of one refresh hold, per source.
 *
 * @param changes number of change rows in each source's window, by source oid
 * @param recomputeRequired a window holds a TRUNCATE ('T') or a gap marker ('G'): the refresh must
 *     be FULL
 */
public record WindowStats(Map<Long, Long> changes, boolean recomputeRequired) {

  public long total() {
    return changes.values().stream().mapToLong(Long::longValue).sum();
  }

  public boolean empty() {
    return total() == 0 && !recomputeRequired;
  }
}
