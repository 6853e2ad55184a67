package io.pgtrickle.worker.schedule;

/**
 * The backoff of one stream table whose refreshes did not complete (failed, waited in vain for the
 * CDC or the ingest, retried after a transient error): 1 s after the first, doubling to 30 s, and
 * how many ended so in a row. The pool holds one per stream table: written only by the thread that
 * ended the table's refresh, read by the scheduler's ({@link #due}).
 */
final class RetryBackoff {

  /** The first delay, in milliseconds. */
  static final long FIRST_MS = 1_000;

  /** The longest delay, in milliseconds. */
  static final long MAX_MS = 30_000;

  /**
   * From this many in a row (about 30 s without a refresh: 1 + 2 + 4 + 8 + 16 s of backoff) a
   * refresh that ended without completing is logged as a WARN, not an INFO: a lock held for long, a
   * lasting serialization conflict or a connection that keeps breaking keeps the stream table
   * stale, and counts no {@code consecutive_errors}.
   */
  static final int WARN_FROM = 5;

  private long delayMs;
  private volatile int inARow;
  private volatile long notBeforeNanos;

  /**
   * Records one more refresh that did not complete.
   *
   * @param nowNanos {@link System#nanoTime()} now
   * @return the delay before the next attempt, in milliseconds
   */
  long ended(long nowNanos) {
    delayMs = delayMs == 0 ? FIRST_MS : Math.min(MAX_MS, delayMs * 2);
    inARow++;
    notBeforeNanos = nowNanos + delayMs * 1_000_000L;
    return delayMs;
  }

  /**
   * Whether the next attempt may start.
   *
   * @param nowNanos {@link System#nanoTime()} now
   * @return true once the delay has passed
   */
  boolean due(long nowNanos) {
    return inARow == 0 || nowNanos - notBeforeNanos >= 0;
  }

  /** How many refreshes in a row did not complete. */
  int inARow() {
    return inARow;
  }

  /** Whether the last one is worth a WARN: {@link #WARN_FROM} or more in a row. */
  boolean persistent() {
    return inARow >= WARN_FROM;
  }
}
