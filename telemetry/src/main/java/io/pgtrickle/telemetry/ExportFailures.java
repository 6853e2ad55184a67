package io.pgtrickle.telemetry;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.common.export.MemoryMode;
import io.opentelemetry.sdk.metrics.Aggregation;
import io.opentelemetry.sdk.metrics.InstrumentType;
import io.opentelemetry.sdk.metrics.data.AggregationTemporality;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.metrics.export.MetricExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Counts the exports that failed (collector unreachable, refused, timed out), per signal, for
 * {@code pg_trickle_otlp_export_failures_total{signal="traces"|"metrics"}} on /metrics. What a
 * failed export carried is lost: the exporters retry a little, then give up, and nothing piles up.
 */
final class ExportFailures {

  private final Map<String, AtomicLong> failures = new ConcurrentHashMap<>();

  void register(MeterRegistry registry) {
    for (String signal : new String[] {"traces", "metrics"}) {
      AtomicLong n = failures.computeIfAbsent(signal, k -> new AtomicLong());
      FunctionCounter.builder("pg_trickle_otlp_export_failures", n, AtomicLong::get)
          .description("OTLP exports that failed or timed out (their data is dropped)")
          .tag("signal", signal)
          .register(registry);
    }
  }

  long failures(String signal) {
    AtomicLong n = failures.get(signal);
    return n == null ? 0 : n.get();
  }

  private void track(String signal, CompletableResultCode result) {
    AtomicLong n = failures.computeIfAbsent(signal, k -> new AtomicLong());
    result.whenComplete(
        () -> {
          if (!result.isSuccess()) {
            n.incrementAndGet();
          }
        });
  }

  SpanExporter counting(String signal, SpanExporter delegate) {
    return new SpanExporter() {
      @Override
      public CompletableResultCode export(Collection<SpanData> spans) {
        CompletableResultCode r = delegate.export(spans);
        track(signal, r);
        return r;
      }

      @Override
      public CompletableResultCode flush() {
        return delegate.flush();
      }

      @Override
      public CompletableResultCode shutdown() {
        return delegate.shutdown();
      }

      @Override
      public String toString() {
        return delegate.toString();
      }
    };
  }

  MetricExporter counting(String signal, MetricExporter delegate) {
    return new MetricExporter() {
      @Override
      public CompletableResultCode export(Collection<MetricData> metrics) {
        CompletableResultCode r = delegate.export(metrics);
        track(signal, r);
        return r;
      }

      @Override
      public AggregationTemporality getAggregationTemporality(InstrumentType type) {
        return delegate.getAggregationTemporality(type);
      }

      @Override
      public Aggregation getDefaultAggregation(InstrumentType type) {
        return delegate.getDefaultAggregation(type);
      }

      @Override
      public MemoryMode getMemoryMode() {
        return delegate.getMemoryMode();
      }

      @Override
      public CompletableResultCode flush() {
        return delegate.flush();
      }

      @Override
      public CompletableResultCode shutdown() {
        return delegate.shutdown();
      }

      @Override
      public String toString() {
        return delegate.toString();
      }
    };
  }
}
