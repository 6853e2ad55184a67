package io.pgtrickle.adapter.http;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;

/**
 * The adapter's own metrics on {@code /metrics}: {@code pg_trickle_adapter_requests_total{kind,
 * code}} (kind: discovery, object, pods, error) and {@code
 * pg_trickle_adapter_request_duration_seconds{kind}} (histogram), so a slow source or a flood of
 * 403s shows.
 */
public final class AdapterMetrics {

  private final MeterRegistry registry;

  public AdapterMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  /**
   * Records an answered request.
   *
   * @param kind what was asked
   * @param code the HTTP status
   * @param elapsed how long it took
   */
  public void request(String kind, int code, Duration elapsed) {
    Counter.builder("pg_trickle_adapter_requests")
        .tag("kind", kind)
        .tag("code", String.valueOf(code))
        .register(registry)
        .increment();
    Timer.builder("pg_trickle_adapter_request_duration")
        .tag("kind", kind)
        .publishPercentileHistogram()
        .minimumExpectedValue(Duration.ofMillis(1))
        .maximumExpectedValue(Duration.ofSeconds(30))
        .register(registry)
        .record(elapsed);
  }
}
