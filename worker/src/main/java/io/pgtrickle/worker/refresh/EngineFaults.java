package io.pgtrickle.worker.refresh;

import io.opentelemetry.api.trace.Span;
import io.pgtrickle.worker.runtime.WorkerMetrics;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A refresh that failed by a fault of the engine ({@link RefreshErrors#engineFault}: a planner's
 * {@link IllegalStateException}, a {@link NullPointerException}): recorded as a failure that counts
 * ({@code consecutive_errors}, {@code last_error_message} naming the exception, a FAILED history
 * row, ERROR after {@code maxErrors} in a row, which a waiting {@code refresh_stream_table} then
 * reports), never retried silently for ever as a transient failure is.
 */
final class EngineFaults {

  private static final Logger LOG = LoggerFactory.getLogger(EngineFaults.class);

  private EngineFaults() {}

  /**
   * Records the fault ({@link RefreshRecords#failedApart}: the transaction may be anywhere in the
   * plan, so it is rolled back and the failure recorded in a new one).
   *
   * @param conn the refresh transaction's connection
   * @param st the stream table, claimed by the transaction
   * @param initiatedBy SCHEDULER, MANUAL or INITIAL
   * @param start when the refresh began
   * @param workerId this worker
   * @param maxErrors consecutive errors that put a stream table in ERROR
   * @param metrics the metrics
   * @param t0 {@link System#nanoTime()} when the refresh began
   * @param e the fault
   * @return FAILED, or SKIPPED when another worker claimed the stream table meanwhile
   * @throws SQLException if the database fails while recording
   */
  static RefreshOutcome record(
      Connection conn,
      StreamTable st,
      String initiatedBy,
      Instant start,
      String workerId,
      int maxErrors,
      WorkerMetrics metrics,
      long t0,
      RuntimeException e)
      throws SQLException {
    Span.current().recordException(e);
    String message = RefreshErrors.message(e);
    // The action the refresh was heading for: a recompute first, else the planned mode.
    String action =
        !st.populated() || st.frontier() == null || "FULL".equals(st.refreshMode())
            ? "FULL"
            : "DIFFERENTIAL";
    RefreshRecords.Done done =
        new RefreshRecords.Done(
            action,
            RowCounts.NONE,
            0,
            initiatedBy,
            "internal error of the worker",
            st.frontier() == null ? null : Frontier.parse(st.frontier()),
            null,
            start,
            workerId);
    Boolean error = RefreshRecords.failedApart(conn, st, message, maxErrors, done);
    if (error == null) {
      return RefreshOutcome.of(
          RefreshOutcome.Kind.SKIPPED, null, "claimed by another worker after: " + message);
    }
    metrics.refresh(action, "failed", Duration.ofNanos(System.nanoTime() - t0));
    LOG.warn(
        "refresh of {} failed{}: {}",
        st.displayName(),
        error ? " (stream table now in ERROR)" : "",
        message,
        e);
    return RefreshOutcome.of(RefreshOutcome.Kind.FAILED, action, message);
  }
}
