package io.pgtrickle.worker.ingest;

import io.pgtrickle.changelog.ChangeLogBackend;
import io.pgtrickle.worker.db.Lease;
import io.pgtrickle.worker.runtime.WorkerState;
import java.sql.Connection;
import java.time.Duration;

/** Ingest rounds as the tests build them: drained by empty polls, a state of their own. */
final class IngestRounds {

  private IngestRounds() {}

  /** A round with the worker's hold bound and nothing remembered. */
  static IngestRound fresh(Connection c, ChangeLogBackend log, Lease lease) {
    return of(c, log, lease, new ChangeBuffers(), new LostCommits(), AckHoldback.DEFAULT_MAX_HOLD);
  }

  /** A round with the given state and hold bound for acknowledgments ({@link AckHoldback}). */
  static IngestRound of(
      Connection c,
      ChangeLogBackend log,
      Lease lease,
      ChangeBuffers buffers,
      LostCommits lost,
      Duration maxHold) {
    return new IngestRound(
        c, log, lease, buffers, false, new WorkerState(), lost, new AckHoldback(maxHold));
  }
}
