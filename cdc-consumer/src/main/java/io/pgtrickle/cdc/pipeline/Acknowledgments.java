package io.pgtrickle.cdc.pipeline;

import io.pgtrickle.changelog.ChangeEvent;
import io.pgtrickle.changelog.Lsn;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The positions the change log has acknowledged, as the {@link Publisher} records them: the end LSN
 * the replication stream may confirm (the first phase of the two-phase acknowledgment), the end of
 * the last commit published (where the change log's history of the source stops), and per source
 * the highest position published (where a GAP marker must go to be above it). Thread-safe: the
 * publisher thread writes, the replication session and the timeline check read.
 */
final class Acknowledgments {

  private final AtomicReference<Lsn> acknowledged = new AtomicReference<>(Lsn.ZERO);
  private final AtomicReference<Lsn> publishedCommitEnd = new AtomicReference<>(Lsn.ZERO);
  private final Map<Long, Lsn> highest = new ConcurrentHashMap<>();

  /** The end LSN of the last commit the change log acknowledged ({@link Lsn#ZERO}: none yet). */
  Lsn acknowledged() {
    return acknowledged.get();
  }

  /**
   * The end of the last commit record published ({@link Lsn#ZERO}: none yet). Unlike {@link
   * #acknowledged()}, never raised for a stretch of WAL that carried nothing.
   */
  Lsn publishedCommitEnd() {
    return publishedCommitEnd.get();
  }

  /** Raises the acknowledged position without a publish (a stretch of WAL that carried nothing). */
  void acknowledgeIdle(Lsn position) {
    acknowledged.accumulateAndGet(position, Lsn::max);
  }

  /**
   * Where a GAP marker of {@code source} goes: at {@code position}, or just above the highest
   * position published for the source if that is not below it (the change log drops an event that
   * is not above what it holds).
   */
  Lsn gapPosition(long source, Lsn position) {
    Lsn above = highest.get(source);
    return above == null || position.isAfter(above) ? position : above.next();
  }

  /**
   * Records a batch the change log acknowledged.
   *
   * @param batch the batch
   * @param bySource its events per source, each list in stream order and not empty
   */
  void published(Batch batch, Map<Long, List<ChangeEvent>> bySource) {
    bySource.forEach((source, events) -> highest.put(source, events.get(events.size() - 1).lsn()));
    if (batch.hasCommit()) {
      acknowledged.accumulateAndGet(batch.lastCommitEnd(), Lsn::max);
      publishedCommitEnd.accumulateAndGet(batch.lastCommitEnd(), Lsn::max);
    }
  }
}
