package io.pgtrickle.telemetry;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.metrics.InstrumentType;
import io.opentelemetry.sdk.metrics.data.AggregationTemporality;
import io.opentelemetry.sdk.metrics.data.LongPointData;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.metrics.data.MetricDataType;
import io.opentelemetry.sdk.metrics.export.CollectionRegistration;
import io.opentelemetry.sdk.metrics.export.MetricReader;

/**
 * Reads the batch span processor's own counter ({@code processedSpans{dropped=true}}, the SDK's
 * legacy internal telemetry) when /metrics is scraped, so the spans it dropped on a full queue are
 * counted locally, whether or not the collector can be reached.
 */
final class DroppedSpans implements MetricReader {

  private static final AttributeKey<Boolean> DROPPED = AttributeKey.booleanKey("dropped");

  private volatile CollectionRegistration registration = CollectionRegistration.noop();

  @Override
  public void register(CollectionRegistration registration) {
    this.registration = registration;
  }

  /** Spans dropped so far. */
  double count() {
    long dropped = 0;
    for (MetricData m : registration.collectAllMetrics()) {
      if (m.getName().equals("processedSpans") && m.getType() == MetricDataType.LONG_SUM) {
        for (LongPointData p : m.getLongSumData().getPoints()) {
          if (Boolean.TRUE.equals(p.getAttributes().get(DROPPED))) {
            dropped += p.getValue();
          }
        }
      }
    }
    return dropped;
  }

  @Override
  public AggregationTemporality getAggregationTemporality(InstrumentType instrumentType) {
    return AggregationTemporality.CUMULATIVE;
  }

  @Override
  public CompletableResultCode forceFlush() {
    return CompletableResultCode.ofSuccess();
  }

  @Override
  public CompletableResultCode shutdown() {
    return CompletableResultCode.ofSuccess();
  }
}
