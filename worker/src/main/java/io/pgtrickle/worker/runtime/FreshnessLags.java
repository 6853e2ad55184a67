package io.pgtrickle.worker.runtime;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * {@code pg_trickle_freshness_lag_seconds{stream_table}} (source commit to visible in the stream
 * table, one sample per source transaction of each refresh window, histogram) and {@code
 * pg_trickle_freshness_lag_ms{stream_table}}: its p95 over the last {@link #WINDOW}, as a plain
 * gauge for the metrics adapter, and NaN once no sample is that recent.
 *
 * <p>Why NaN: the p95 of an empty window reads 0, which said "fresh" of a stream table no refresh
 * had completed for minutes (seen in a trial: 26 stream tables 1.5 to 6 minutes stale behind one
 * large transaction, every gauge at 0). Nobody measured, which the adapter does not take for 0; how
 * stale a table is, is {@code pg_trickle_stream_table_lag_ms} ({@link StreamTableLags}).
 * Thread-safe.
 */
final class FreshnessLags {

  /** How long a sample counts in the gauge (and in the histogram's percentiles). */
  static final Duration WINDOW = Duration.ofMinutes(1);

  /** One stream table's series and the time of its last sample. */
  private record Series(Timer timer, AtomicLong lastSampleNanos) {}

  private final MeterRegistry registry;
  private final LongSupplier nanoTime;
  private final Map<String, Series> series = new ConcurrentHashMap<>();

  /**
   * @param registry where the meters are registered
   * @param nanoTime the monotonic clock ({@link System#nanoTime})
   */
  FreshnessLags(MeterRegistry registry, LongSupplier nanoTime) {
    this.registry = registry;
    this.nanoTime = nanoTime;
  }

  /**
   * Records how long source transactions took to become visible in a stream table.
   *
   * @param streamTable {@code schema.name}
   * @param lagsMillis one value per source transaction of the refresh window (negative counts 0)
   */
  void record(String streamTable, long[] lagsMillis) {
    Series s = series.computeIfAbsent(streamTable, this::register);
    for (long ms : lagsMillis) {
      s.timer().record(Math.max(0, ms), TimeUnit.MILLISECONDS);
    }
    if (lagsMillis.length > 0) {
      s.lastSampleNanos().set(nanoTime.getAsLong());
    }
  }

  private Series register(String name) {
    Timer timer =
        Timer.builder("pg_trickle_freshness_lag")
            .description("source commit to visible in the stream table")
            .tag("stream_table", name)
            .publishPercentiles(0.5, 0.95)
            .publishPercentileHistogram()
            .minimumExpectedValue(Duration.ofMillis(1))
            .maximumExpectedValue(Duration.ofHours(1))
            .distributionStatisticExpiry(WINDOW)
            .register(registry);
    Series s = new Series(timer, new AtomicLong(nanoTime.getAsLong()));
    Gauge.builder("pg_trickle_freshness_lag_ms", s, this::p95Millis)
        .description(
            "p95 of pg_trickle_freshness_lag over about the last minute, ms; NaN when no source"
                + " transaction became visible in that minute")
        .tag("stream_table", name)
        .register(registry);
    return s;
  }

  private double p95Millis(Series s) {
    if (nanoTime.getAsLong() - s.lastSampleNanos().get() > WINDOW.toNanos()) {
      return Double.NaN;
    }
    for (var p : s.timer().takeSnapshot().percentileValues()) {
      if (p.percentile() == 0.95) {
        return p.value(TimeUnit.MILLISECONDS);
      }
    }
    return Double.NaN;
  }
}
