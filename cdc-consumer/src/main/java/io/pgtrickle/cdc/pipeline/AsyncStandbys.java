package io.pgtrickle.cdc.pipeline;

import io.pgtrickle.changelog.Lsn;

/**
 * The source's physical standbys as one {@code pg_stat_replication} read shows them, and whether a
 * batch may be published, when the source replicates asynchronously ({@code
 * synchronous_standby_names} empty).
 *
 * <p>Why wait at all: a crash failover promotes a standby, and a transaction it never received is
 * gone from the new primary's history. Published already, it would stay in the change log (the
 * consumer then records a GAP at the timeline fork, and every stream table reading the table is
 * recomputed: correct, but a full refresh). Patroni promotes the most advanced healthy standby, so
 * a batch is published once the most advanced streaming standby flushed it: then the standby that
 * takes over has it, and nothing is recorded that a failover takes back. This costs about one WAL
 * flush and round trip on the standby per batch: on loopback 0.2 ms of lag at the median and 0.8 ms
 * at p95, throughput within noise ({@code make bench-cdc} with {@code CDC_BENCH_ASYNC_STANDBY=true}
 * against {@code CDC_BENCH_ASYNC_HOLD_MS=0}, 2026-12-05).
 *
 * <p>Bounded, because asynchronous replication promises the primary's commits nothing: after {@code
 * PGTRICKLE_ASYNC_STANDBY_HOLD_MS} (default 5 s) a batch no standby flushed is published anyway,
 * and so is a batch whose standbys' positions are hidden from the consumer's role (without {@code
 * pg_read_all_stats}), both counted as unprotected ({@code
 * pg_trickle_cdc_unprotected_publishes_total}). Without a streaming standby there is none to
 * promote and nothing to wait for.
 *
 * <p>A standby still catching up ({@code state = catchup}: a new or rebuilt replica working through
 * its backlog) is not waited for: it would add the bound to every batch until it caught up, and
 * Patroni promotes only a standby within {@code maximum_lag_on_failover} (1 MB) of the primary.
 *
 * @param mostAdvancedFlush the highest {@code flush_lsn} among the standbys in state {@code
 *     streaming} whose position this role sees, or {@code null}
 * @param streaming how many physical walsenders are streaming, hidden ones included
 * @param hidden how many physical walsenders show this role no state (every column NULL but the
 *     pid)
 */
record AsyncStandbys(Lsn mostAdvancedFlush, long streaming, long hidden) {

  /** What to do with a batch. */
  enum Decision {
    /** No standby to wait for, or one has flushed the batch. */
    PUBLISH,
    /** Wait: a standby streams and none has flushed the batch yet. */
    HOLD,
    /** Publish without a standby's flush: the bound passed, or the positions are hidden. */
    PUBLISH_UNPROTECTED
  }

  /**
   * One column, to add to a query's select list: {@code flush,streaming,hidden}, the most advanced
   * flush position (empty when none is visible), how many physical standbys stream (hidden ones
   * included), how many are hidden. Physical walsenders serve no database ({@code
   * pg_stat_activity.datid} NULL); logical ones, this consumer's among them, do.
   */
  static final String SQL =
      "(SELECT coalesce(max(r.flush_lsn) FILTER (WHERE r.state = 'streaming')::text, '')"
          + " || ',' || count(*) FILTER (WHERE r.state = 'streaming' OR r.state IS NULL)"
          + " || ',' || count(*) FILTER (WHERE r.state IS NULL)"
          + " FROM pg_stat_replication r JOIN pg_stat_activity a ON a.pid = r.pid"
          + " WHERE a.datid IS NULL)";

  /**
   * Parses the text {@link #SQL} returns: {@code flush,streaming,hidden}, the flush position empty
   * when none is visible.
   *
   * @param text the column's value
   * @return the standbys
   * @throws IllegalArgumentException if it is not that shape
   */
  static AsyncStandbys parse(String text) {
    String[] parts = text.split(",", -1);
    if (parts.length != 3) {
      throw new IllegalArgumentException("not flush,streaming,hidden: " + text);
    }
    Lsn flush = parts[0].isEmpty() ? null : Lsn.parse(parts[0]);
    return new AsyncStandbys(flush, Long.parseLong(parts[1]), Long.parseLong(parts[2]));
  }

  /**
   * Whether a batch may be published now.
   *
   * @param position the WAL position the batch needs on a standby ({@link Batch#requiredDurable})
   * @param heldNanos how long the batch has waited since its first event arrived
   * @param boundNanos the longest wait ({@code PGTRICKLE_ASYNC_STANDBY_HOLD_MS}); 0: never wait
   * @return the decision
   */
  Decision decide(Lsn position, long heldNanos, long boundNanos) {
    if (boundNanos <= 0 || streaming == 0) {
      return Decision.PUBLISH;
    }
    if (mostAdvancedFlush != null && !position.isAfter(mostAdvancedFlush)) {
      return Decision.PUBLISH;
    }
    if (hidden > 0 || heldNanos >= boundNanos) {
      return Decision.PUBLISH_UNPROTECTED;
    }
    return Decision.HOLD;
  }
}
