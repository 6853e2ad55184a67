package io.pgtrickle.cdc.pipeline;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.pgtrickle.changelog.ChangeEvent;
import io.pgtrickle.changelog.Lsn;
import java.util.List;
import java.util.Map;

/**
 * The span of one published batch, {@value #NAME}: from the first publish attempt to the change
 * log's acknowledgement. Attributes: {@code pgtrickle.cdc.events}, {@code
 * pgtrickle.cdc.transactions} (commits completed), {@code pgtrickle.cdc.sources}, {@code
 * pgtrickle.cdc.lsn.first} and {@code pgtrickle.cdc.lsn.last} (the events' LSN range, PostgreSQL's
 * {@code X/Y} text), {@code pgtrickle.cdc.publish.retries}; every failed attempt is an exception
 * event, and a batch given up (stopping) ends with status ERROR. Without OTLP export the tracer is
 * a no-op and this costs nothing.
 */
final class PublishSpans {

  static final String NAME = "cdc.publish";

  static final AttributeKey<Long> EVENTS = AttributeKey.longKey("pgtrickle.cdc.events");
  static final AttributeKey<Long> TRANSACTIONS = AttributeKey.longKey("pgtrickle.cdc.transactions");
  static final AttributeKey<Long> SOURCES = AttributeKey.longKey("pgtrickle.cdc.sources");
  static final AttributeKey<String> LSN_FIRST = AttributeKey.stringKey("pgtrickle.cdc.lsn.first");
  static final AttributeKey<String> LSN_LAST = AttributeKey.stringKey("pgtrickle.cdc.lsn.last");
  static final AttributeKey<Long> RETRIES = AttributeKey.longKey("pgtrickle.cdc.publish.retries");

  private PublishSpans() {}

  static Span start(Tracer tracer, Batch batch, Map<Long, List<ChangeEvent>> bySource) {
    Lsn first = null;
    Lsn last = null;
    for (List<ChangeEvent> events : bySource.values()) {
      for (ChangeEvent e : events) {
        first = first == null || e.lsn().value() < first.value() ? e.lsn() : first;
        last = last == null ? e.lsn() : Lsn.max(last, e.lsn());
      }
    }
    var builder =
        tracer
            .spanBuilder(NAME)
            .setAttribute(EVENTS, (long) batch.size())
            .setAttribute(TRANSACTIONS, (long) batch.commitTimes().size())
            .setAttribute(SOURCES, (long) bySource.size());
    if (first != null) {
      builder.setAttribute(LSN_FIRST, first.toString()).setAttribute(LSN_LAST, last.toString());
    }
    return builder.startSpan();
  }

  /** A failed attempt, retried. */
  static void failedAttempt(Span span, Throwable cause, int retries) {
    span.recordException(cause);
    span.setAttribute(RETRIES, (long) retries);
  }

  static void end(Span span, boolean published) {
    if (!published) {
      span.setStatus(StatusCode.ERROR, "not published: the consumer is stopping");
    }
    span.end();
  }
}
