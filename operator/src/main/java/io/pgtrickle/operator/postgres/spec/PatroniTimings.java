package io.pgtrickle.operator.postgres.spec;

import io.pgtrickle.operator.api.PatroniSpec;
import io.pgtrickle.operator.api.PostgresCluster;

/**
 * Patroni's HA timings. After a crash a new primary takes the lock only once the old one expires,
 * so recovery by lock expiry takes about {@code ttl}. Patroni enforces {@code ttl >= 20} and {@code
 * retry_timeout >= 3} (smaller values are silently raised), so the defaults are the fastest it
 * accepts: 20/2/3 against its own 30/10/10. A short {@code loop_wait} makes members notice a free
 * lock quickly. Patroni needs {@code loopWait + 2 * retryTimeout <= ttl} (the CRD checks all of
 * this).
 */
public record PatroniTimings(int ttl, int loopWait, int retryTimeout) {

  public static final int DEFAULT_TTL = 20;
  public static final int DEFAULT_LOOP_WAIT = 2;
  public static final int DEFAULT_RETRY_TIMEOUT = 3;

  public static PatroniTimings of(PostgresCluster cluster) {
    PatroniSpec spec = cluster.getSpec().getPatroni();
    if (spec == null) {
      return new PatroniTimings(DEFAULT_TTL, DEFAULT_LOOP_WAIT, DEFAULT_RETRY_TIMEOUT);
    }
    return new PatroniTimings(
        spec.getTtl() == null ? DEFAULT_TTL : spec.getTtl(),
        spec.getLoopWait() == null ? DEFAULT_LOOP_WAIT : spec.getLoopWait(),
        spec.getRetryTimeout() == null ? DEFAULT_RETRY_TIMEOUT : spec.getRetryTimeout());
  }
}
