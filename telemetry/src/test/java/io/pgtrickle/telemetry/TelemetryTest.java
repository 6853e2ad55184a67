package io.pgtrickle.telemetry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.opentelemetry.api.trace.Span;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class TelemetryTest {

  @Test
  void withoutAnEndpointNothingIsExported() {
    SimpleMeterRegistry prometheus = new SimpleMeterRegistry();
    try (Telemetry t = Telemetry.start(Optional.empty(), "test", prometheus)) {
      assertThat(t.exporting()).isFalse();
      assertThat(t.registry()).isSameAs(prometheus);
      Span span = t.tracer().spanBuilder("x").startSpan();
      assertThat(span.getSpanContext().isValid()).isFalse();
      span.end();
      assertThat(prometheus.find("pg_trickle_otlp_spans_dropped").functionCounter()).isNull();
    }
  }

  /**
   * A collector that accepts nothing: ending spans only enqueues them, the queue's overflow is
   * dropped and counted, and metrics still register in both registries.
   */
  @Test
  void anUnreachableCollectorNeverBlocksAndLossesAreCounted() throws IOException {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    OtlpSettings settings =
        OtlpSettings.fromEnvironment(
                Map.of(
                    "OTEL_EXPORTER_OTLP_ENDPOINT",
                    "http://127.0.0.1:" + port,
                    "OTEL_EXPORTER_OTLP_TIMEOUT",
                    "1000",
                    "OTEL_METRIC_EXPORT_INTERVAL",
                    "200"),
                "test")
            .orElseThrow();
    SimpleMeterRegistry prometheus = new SimpleMeterRegistry();
    Telemetry t = Telemetry.start(Optional.of(settings), "test", prometheus);
    assertThat(t.exporting()).isTrue();
    Counter c = Counter.builder("pg_trickle_test_things").register(t.registry());
    c.increment();
    assertThat(prometheus.get("pg_trickle_test_things").counter().count()).isEqualTo(1);
    for (int i = 0; i < 3 * Telemetry.SPAN_QUEUE; i++) {
      t.tracer().spanBuilder("refresh").startSpan().end();
    }
    await()
        .atMost(Duration.ofSeconds(60))
        .untilAsserted(
            () -> {
              assertThat(prometheus.get("pg_trickle_otlp_spans_dropped").functionCounter().count())
                  .isGreaterThan(0);
              assertThat(
                      prometheus
                          .get("pg_trickle_otlp_export_failures")
                          .tag("signal", "metrics")
                          .functionCounter()
                          .count())
                  .isGreaterThan(0);
            });
    long before = System.nanoTime();
    t.close();
    assertThat(Duration.ofNanos(System.nanoTime() - before))
        .isLessThan(Telemetry.SHUTDOWN_WAIT.multipliedBy(3));
  }
}
