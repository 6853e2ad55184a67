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
 *
 * <p>{@code primaryStartTimeout} (Patroni's {@code primary_start_timeout}, seconds) bounds how long
 * a crashed primary that still holds its lock may take to come back before Patroni fails over to a
 * healthy replica. A primary whose container the kubelet restarts at once is back in Patroni before
 * its lock expires, and Patroni's crash recovery first runs {@code archive_command} for every WAL
 * file waiting in {@code pg_wal} ({@code _archive_ready_wals} in Patroni's rewind.py): with the
 * backup repository unreachable each push hangs for its timeouts, and on Patroni's default (300 s)
 * no primary served for minutes (a CI run, 2026-12-07). 10 s keeps the worst case, {@code loopWait
 * + primaryStartTimeout + loopWait} plus a promotion, within the 30 s failover objective.
 */
public record PatroniTimings(int ttl, int loopWait, int retryTimeout, int primaryStartTimeout) {

  public static final int DEFAULT_TTL = 20;
  public static final int DEFAULT_LOOP_WAIT = 2;
  public static final int DEFAULT_RETRY_TIMEOUT = 3;
  public static final int DEFAULT_PRIMARY_START_TIMEOUT = 10;

  public static PatroniTimings of(PostgresCluster cluster) {
    PatroniSpec spec = cluster.getSpec().getPatroni();
    if (spec == null) {
      return new PatroniTimings(
          DEFAULT_TTL, DEFAULT_LOOP_WAIT, DEFAULT_RETRY_TIMEOUT, DEFAULT_PRIMARY_START_TIMEOUT);
    }
    return new PatroniTimings(
        spec.getTtl() == null ? DEFAULT_TTL : spec.getTtl(),
        spec.getLoopWait() == null ? DEFAULT_LOOP_WAIT : spec.getLoopWait(),
        spec.getRetryTimeout() == null ? DEFAULT_RETRY_TIMEOUT : spec.getRetryTimeout(),
        spec.getPrimaryStartTimeout() == null
            ? DEFAULT_PRIMARY_START_TIMEOUT
            : spec.getPrimaryStartTimeout());
  }
}
