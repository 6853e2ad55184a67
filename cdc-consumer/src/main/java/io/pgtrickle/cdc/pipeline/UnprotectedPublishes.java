package io.pgtrickle.cdc.pipeline;

import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Batches published before any streaming standby flushed them (the asynchronous hold's bound
 * passed, or the standbys' positions are hidden from the role: {@link AsyncStandbys}): counted in
 * {@code pg_trickle_cdc_unprotected_publishes_total} and warned about at most once a minute. Used
 * by the publisher thread only.
 */
final class UnprotectedPublishes {

  private static final Logger LOG = LoggerFactory.getLogger(Publisher.class);
  private static final long WARN_EVERY_NANOS = TimeUnit.MINUTES.toNanos(1);

  private final CdcMetrics metrics;
  private long lastWarning;

  UnprotectedPublishes(CdcMetrics metrics) {
    this.metrics = metrics;
  }

  /** Counts {@code batch}, about to be published; warns unless a warning went out this minute. */
  void publishing(Batch batch) {
    metrics.unprotectedPublishes.increment();
    long now = System.nanoTime();
    if (lastWarning == 0 || now - lastWarning >= WARN_EVERY_NANOS) {
      lastWarning = now;
      LOG.warn(
          "publishing a batch ending at {} that no streaming standby has flushed (held {} ms; the"
              + " standbys are behind, or their positions hidden from this role: grant"
              + " pg_read_all_stats): a crash failover now may take it back, and the change log"
              + " then records a GAP (pg_trickle_cdc_unprotected_publishes_total counts these)",
          batch.requiredDurable(),
          TimeUnit.NANOSECONDS.toMillis(now - batch.receivedNanos()));
    }
  }
}
