package io.pgtrickle.worker.refresh;

/**
 * How a refresh attempt ended.
 *
 * @param kind the kind of ending
 * @param action the action that ran or was attempted (NO_DATA, FULL, DIFFERENTIAL, REINITIALIZE),
 *     or {@code null} if none was reached
 * @param message details for logs
 */
public record RefreshOutcome(Kind kind, String action, String message) {

  /** The kinds of ending. */
  public enum Kind {
    /** Committed: data, frontier and history. */
    COMPLETED,
    /** The plan failed; the failure is recorded (consecutive_errors, history, maybe ERROR). */
    FAILED,
    /** Not refreshed: claimed elsewhere, gone, suspended or in ERROR. */
    SKIPPED,
    /** The CDC or the ingest did not reach the snapshot's LSN in time; tried again later. */
    WAITING,
    /** A transient failure (serialization, connection, cancellation); tried again later. */
    RETRY
  }

  static RefreshOutcome of(Kind kind, String action, String message) {
    return new RefreshOutcome(kind, action, message);
  }
}
