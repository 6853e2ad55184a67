package io.pgtrickle.cdc.pipeline;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Tracer;
import java.time.Duration;

/**
 * The consumer's Prometheus metrics:
 *
 * <ul>
 *   <li>{@code pg_trickle_cdc_events_total}: change events published (rate() gives events/s);
 *   <li>{@code pg_trickle_cdc_transactions_total}: transactions published and confirmed;
 *   <li>{@code pg_trickle_cdc_slot_lag_bytes}: WAL between the primary's position and the slot's
 *       confirmed one (-1 while unknown);
 *   <li>{@code pg_trickle_cdc_lag_seconds}: end-to-end lag, commit to acknowledged by the change
 *       log, with p50/p95/p99 and a histogram; {@code pg_trickle_cdc_lag_p95_ms} the p95 as a plain
 *       gauge for the HPA's metrics adapter;
 *   <li>{@code pg_trickle_cdc_reconnects_total}, {@code pg_trickle_cdc_publish_retries_total},
 *       {@code pg_trickle_cdc_unprotected_publishes_total}.
 * </ul>
 */
public final class CdcMetrics {

  final Counter events;
  final Counter transactions;
  final Counter reconnects;
  final Counter publishRetries;
  final Counter unprotectedPublishes;
  final Timer lag;
  final Timer standbyWait;
  final Tracer tracer;

  /**
   * Registers the metrics.
   *
   * @param registry the registry /metrics renders
   * @param state where the slot lag gauge reads from
   */
  public CdcMetrics(MeterRegistry registry, ConsumerState state) {
    this(registry, state, OpenTelemetry.noop().getTracer("io.pgtrickle.cdc"));
  }

  /**
   * Registers the metrics; published batches become spans of {@code tracer} ({@link PublishSpans}).
   *
   * @param registry the registry /metrics renders (and, with OTLP export, the OTLP bridge)
   * @param state where the slot lag gauge reads from
   * @param tracer the program's tracer, a no-op one without OTLP export
   */
  public CdcMetrics(MeterRegistry registry, ConsumerState state, Tracer tracer) {
    this.tracer = tracer;
    events =
        Counter.builder("pg_trickle_cdc_events")
            .description("change events published to the change log")
            .register(registry);
    transactions =
        Counter.builder("pg_trickle_cdc_transactions")
            .description("transactions published and confirmed to PostgreSQL")
            .register(registry);
    reconnects =
        Counter.builder("pg_trickle_cdc_reconnects")
            .description("replication connections opened again after a loss")
            .register(registry);
    publishRetries =
        Counter.builder("pg_trickle_cdc_publish_retries")
            .description("publishes to the change log retried after a failure")
            .register(registry);
    unprotectedPublishes =
        Counter.builder("pg_trickle_cdc_unprotected_publishes")
            .description(
                "batches published under asynchronous replication before any streaming standby"
                    + " flushed them (the hold bound passed, or the positions are hidden): a crash"
                    + " failover may take them back (a GAP then, and recomputed stream tables)")
            .register(registry);
    lag =
        Timer.builder("pg_trickle_cdc_lag")
            .description("commit to acknowledged by the change log")
            .publishPercentiles(0.5, 0.95, 0.99)
            .publishPercentileHistogram()
            .minimumExpectedValue(Duration.ofMillis(1))
            .maximumExpectedValue(Duration.ofMinutes(10))
            .distributionStatisticExpiry(Duration.ofMinutes(1))
            .register(registry);
    standbyWait =
        Timer.builder("pg_trickle_cdc_standby_wait")
            .description(
                "time a batch waited before its publish until the standbys had it (every"
                    + " synchronous standby; under asynchronous replication the most advanced"
                    + " streaming standby, up to PGTRICKLE_ASYNC_STANDBY_HOLD_MS): part of"
                    + " pg_trickle_cdc_lag that more workers cannot shorten")
            .publishPercentiles(0.5, 0.95, 0.99)
            .publishPercentileHistogram()
            .minimumExpectedValue(Duration.ofMillis(1))
            .maximumExpectedValue(Duration.ofMinutes(2))
            .distributionStatisticExpiry(Duration.ofMinutes(1))
            .register(registry);
    Gauge.builder("pg_trickle_cdc_slot_lag_bytes", state, ConsumerState::slotLagBytes)
        .description(
            "WAL bytes between the primary's position and the slot's confirmed one; -1 while"
                + " unknown")
        .register(registry);
    Gauge.builder("pg_trickle_cdc_lag_p95_ms", lag, CdcMetrics::p95Millis)
        .description("p95 of pg_trickle_cdc_lag over about the last minute, ms")
        .register(registry);
  }

  private static double p95Millis(Timer t) {
    for (var p : t.takeSnapshot().percentileValues()) {
      if (p.percentile() == 0.95) {
        return p.value(java.util.concurrent.TimeUnit.MILLISECONDS);
      }
    }
    return 0;
  }
}
