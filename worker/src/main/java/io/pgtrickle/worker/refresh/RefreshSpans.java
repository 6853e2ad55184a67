package io.pgtrickle.worker.refresh;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;

/**
 * The span of one refresh, {@value #NAME}, from the claim to the commit (or the give-up).
 * Attributes: {@code pgtrickle.stream_table} ({@code schema.name}), {@code pgtrickle.pgt_id},
 * {@code pgtrickle.refresh.initiated_by} (SCHEDULER, MANUAL or INITIAL), {@code
 * pgtrickle.refresh.mode} (NO_DATA, FULL, DIFFERENTIAL, REINITIALIZE), {@code
 * pgtrickle.refresh.reason}, {@code pgtrickle.refresh.outcome} (COMPLETED, FAILED, SKIPPED,
 * WAITING, RETRY), {@code pgtrickle.refresh.rows_inserted}, {@code rows_updated}, {@code
 * rows_deleted}, {@code pgtrickle.refresh.changes} (source changes in the window). FAILED and RETRY
 * end with status ERROR and the message; an exception is recorded as an event. Without OTLP export
 * the tracer is a no-op.
 */
final class RefreshSpans {

  static final String NAME = "refresh";

  static final AttributeKey<String> STREAM_TABLE = AttributeKey.stringKey("pgtrickle.stream_table");
  static final AttributeKey<Long> PGT_ID = AttributeKey.longKey("pgtrickle.pgt_id");
  static final AttributeKey<String> INITIATED_BY =
      AttributeKey.stringKey("pgtrickle.refresh.initiated_by");
  static final AttributeKey<String> MODE = AttributeKey.stringKey("pgtrickle.refresh.mode");
  static final AttributeKey<String> REASON = AttributeKey.stringKey("pgtrickle.refresh.reason");
  static final AttributeKey<String> OUTCOME = AttributeKey.stringKey("pgtrickle.refresh.outcome");
  static final AttributeKey<Long> INSERTED =
      AttributeKey.longKey("pgtrickle.refresh.rows_inserted");
  static final AttributeKey<Long> UPDATED = AttributeKey.longKey("pgtrickle.refresh.rows_updated");
  static final AttributeKey<Long> DELETED = AttributeKey.longKey("pgtrickle.refresh.rows_deleted");
  static final AttributeKey<Long> CHANGES = AttributeKey.longKey("pgtrickle.refresh.changes");

  private RefreshSpans() {}

  static Span start(Tracer tracer, long pgtId, boolean manual) {
    return tracer
        .spanBuilder(NAME)
        .setAttribute(PGT_ID, pgtId)
        .setAttribute(INITIATED_BY, manual ? "MANUAL" : "SCHEDULER")
        .startSpan();
  }

  /** What is refreshed and how (the current span, inside {@link Refresher#refresh}). */
  static void decided(StreamTable st, RefreshDecision decision, long changes) {
    Span.current()
        .setAttribute(STREAM_TABLE, st.displayName())
        .setAttribute(MODE, decision.action())
        .setAttribute(REASON, decision.reason())
        .setAttribute(CHANGES, changes);
  }

  static void named(StreamTable st, String initiatedBy) {
    Span.current()
        .setAttribute(STREAM_TABLE, st.displayName())
        .setAttribute(INITIATED_BY, initiatedBy);
  }

  static void rows(RowCounts counts) {
    if (!counts.known()) {
      return;
    }
    Span.current()
        .setAttribute(INSERTED, counts.inserted())
        .setAttribute(UPDATED, counts.updated())
        .setAttribute(DELETED, counts.deleted());
  }

  static void ended(Span span, RefreshOutcome outcome) {
    span.setAttribute(OUTCOME, outcome.kind().name());
    if (outcome.action() != null) {
      span.setAttribute(MODE, outcome.action());
    }
    if (outcome.kind() == RefreshOutcome.Kind.FAILED
        || outcome.kind() == RefreshOutcome.Kind.RETRY) {
      span.setStatus(StatusCode.ERROR, outcome.message() == null ? "" : outcome.message());
    }
  }
}
