package io.pgtrickle.worker.runtime;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * {@code pg_trickle_stream_table_lag_ms{stream_table}}: milliseconds since each stream table was
 * last refreshed, the definition of {@code pgtrickle.pg_stat_pgtrickle.current_lag_ms} ({@code
 * now() - coalesce(last_refresh_at, created_at)}, the database's clock), as of the moment
 * Prometheus (or the metrics adapter) reads {@code /metrics}.
 *
 * <p>The scheduler reads the lags with the catalog every round ({@link #update}); a scrape adds the
 * time elapsed since that read (this process's monotonic clock). So the value is never below the
 * true lag: a refresh that committed since the read (at most a round ago) is not seen yet. A
 * reading older than its {@code validFor} (the scheduler could not read the catalog meanwhile) is
 * NaN: nobody measures, which the adapter does not take for 0. A stream table that is gone from the
 * catalog loses its series at the next read; a renamed one gets a series under the new name.
 * Thread-safe: one writer (the scheduler), any number of scrapes.
 */
public final class StreamTableLags {

  /** One catalog read. */
  private record Reading(Map<String, Double> lagMs, long readNanos, long validNanos) {}

  private final MeterRegistry registry;
  private final LongSupplier nanoTime;
  private final Map<String, Gauge> gauges = new HashMap<>();
  private volatile Reading reading = new Reading(Map.of(), 0, 0);

  /**
   * @param registry where the gauges are registered
   * @param nanoTime the monotonic clock ({@link System#nanoTime})
   */
  public StreamTableLags(MeterRegistry registry, LongSupplier nanoTime) {
    this.registry = registry;
    this.nanoTime = nanoTime;
  }

  /**
   * Takes a new catalog read: one series per stream table in it, none for those that are gone.
   *
   * @param lagMsAtRead {@code schema.name} to milliseconds since its last refresh (or creation), at
   *     the time of the read
   * @param readNanos {@code nanoTime} just before the read (so that the value errs high, never low)
   * @param validFor how long the read may stand in for a new one; past it the series are NaN
   */
  public synchronized void update(
      Map<String, Double> lagMsAtRead, long readNanos, Duration validFor) {
    reading = new Reading(Map.copyOf(lagMsAtRead), readNanos, validFor.toNanos());
    gauges
        .entrySet()
        .removeIf(
            e -> {
              if (lagMsAtRead.containsKey(e.getKey())) {
                return false;
              }
              registry.remove(e.getValue());
              return true;
            });
    for (String name : lagMsAtRead.keySet()) {
      gauges.computeIfAbsent(
          name,
          n ->
              Gauge.builder("pg_trickle_stream_table_lag_ms", () -> currentMs(n))
                  .description(
                      "milliseconds since the stream table was last refreshed"
                          + " (pg_stat_pgtrickle.current_lag_ms), as of the scrape")
                  .tag("stream_table", n)
                  .strongReference(true)
                  .register(registry));
    }
  }

  /**
   * A stream table's lag now.
   *
   * @param streamTable {@code schema.name}
   * @return milliseconds since its last refresh, or NaN if it is not in the last read or the read
   *     is older than its {@code validFor}
   */
  public double currentMs(String streamTable) {
    Reading r = reading;
    Double atRead = r.lagMs().get(streamTable);
    long elapsed = nanoTime.getAsLong() - r.readNanos();
    if (atRead == null || elapsed > r.validNanos()) {
      return Double.NaN;
    }
    return Math.max(0, atRead) + Math.max(0, elapsed) / 1e6;
  }
}
