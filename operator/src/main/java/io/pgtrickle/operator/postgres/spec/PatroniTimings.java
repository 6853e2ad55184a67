package io.pgtrickle.operator.postgres.spec;

import io.pgtrickle.operator.api.PatroniSpec;
import io.pgtrickle.operator.api.PostgresCluster;

/**
 * Patroni's HA timings. After a crash a new primary takes the lock only once the old one expires,
 * so recovery takes about {@code ttl}: Patroni's defaults (30/10/10) measured 21–30 s here, these
 * defaults (10/2/3) 8.4–10.6 s. Shorter still makes a busy or slow API server more likely to cost
 * the primary its lock. Patroni needs {@code loopWait + 2 * retryTimeout <= ttl} (the CRD checks).
 */
public record PatroniTimings(int ttl, int loopWait, int retryTimeout) {

  public static final int DEFAULT_TTL = 10;
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
