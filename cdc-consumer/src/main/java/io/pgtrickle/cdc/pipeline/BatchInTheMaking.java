package io.pgtrickle.cdc.pipeline;

import io.pgtrickle.changelog.Lsn;
import java.util.concurrent.locks.LockSupport;

/**
 * What the {@link Publisher} knows of the batch the replication session is still building: the
 * position it needs durable so far ({@link Batch#requiredDurable}, its commits received), so that
 * the synchronous-standby gate can be asked about it while the previous batch is being published.
 * The session thread writes; the publisher thread reads and, while it waits for a publish and has
 * not asked yet, is woken when the position moves.
 */
final class BatchInTheMaking {

  private record Position(long session, Lsn position) {}

  private final Thread publisher;
  private volatile Position latest;
  private volatile boolean wanted;

  BatchInTheMaking(Thread publisher) {
    this.publisher = publisher;
  }

  /**
   * The session's batch of {@code session} (the publisher's count) needs {@code position} durable.
   * Cheap when the position did not move: called for every message after the batch's first commit.
   */
  void needs(long session, Lsn position) {
    Position current = latest;
    if (current == null || current.session() != session || position.isAfter(current.position())) {
      latest = new Position(session, position);
      if (wanted) {
        LockSupport.unpark(publisher);
      }
    }
  }

  /** Whether the publisher wants to be woken when the position moves. */
  void wanted(boolean wanted) {
    this.wanted = wanted;
  }

  /**
   * The position the batch of {@code session} needs durable, if it needs more than {@code after}
   * (what the batch being published needs), or {@code null}.
   */
  Lsn beyond(long session, Lsn after) {
    Position current = latest;
    return current != null && current.session() == session && current.position().isAfter(after)
        ? current.position()
        : null;
  }
}
