package io.pgtrickle.cdc.pipeline;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Exponential backoff with jitter between a minimum and a maximum wait. Jitter keeps the consumers
 * of one cluster from reconnecting in lockstep after a failover.
 */
public final class Backoff {

  private final long minMillis;
  private final long maxMillis;
  private long next;

  /**
   * Creates a backoff.
   *
   * @param min the first wait
   * @param max the longest wait
   */
  public Backoff(Duration min, Duration max) {
    this.minMillis = min.toMillis();
    this.maxMillis = Math.max(minMillis, max.toMillis());
    this.next = minMillis;
  }

  /**
   * Returns the next wait and doubles the one after, up to the maximum.
   *
   * @return milliseconds to wait, between half and all of the current step
   */
  public long nextMillis() {
    long step = next;
    next = Math.min(maxMillis, next * 2);
    return step / 2 + ThreadLocalRandom.current().nextLong(step / 2 + 1);
  }

  /** Starts over at the minimum, after a success. */
  public void reset() {
    next = minMillis;
  }
}
