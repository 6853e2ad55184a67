package io.pgtrickle.worker.refresh;

import io.pgtrickle.worker.db.Claims;
import io.pgtrickle.worker.db.RoundTrip;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The catalog writes of a refresh: the stream table's row (frontier compare-and-set, data
 * timestamp, status, errors) and its history row. All in the caller's transaction.
 */
final class RefreshRecords {

  private RefreshRecords() {}

  /**
   * What one refresh did, for its history row.
   *
   * @param action NO_DATA, FULL, DIFFERENTIAL or REINITIALIZE
   * @param counts rows inserted, updated, deleted
   * @param deltaRows source changes in the windows
   * @param initiatedBy SCHEDULER, MANUAL or INITIAL
   * @param reason why this action
   * @param before the frontier before
   * @param after the frontier after
   * @param start when the refresh began
   * @param workerId who ran it
   */
  record Done(
      String action,
      RowCounts counts,
      long deltaRows,
      String initiatedBy,
      String reason,
      Frontier before,
      Frontier after,
      Instant start,
      String workerId) {

    /** The same attempt under another decision (its action and reason) and frontier. */
    Done as(RefreshDecision decision, Frontier newAfter) {
      return new Done(
          decision.action(),
          counts,
          deltaRows,
          initiatedBy,
          decision.reason(),
          before,
          newAfter,
          start,
          workerId);
    }
  }

  /**
   * Records a completed refresh and commits, in one round trip: back to the worker's role, the
   * compare-and-set of the frontier together with the stream table's row and the history row (one
   * statement of data-modifying CTEs), and {@code COMMIT}. A frontier that moved makes the
   * statement fail ({@code pgtrickle._frontier_moved}, SQLSTATE 40001), so the COMMIT after it does
   * not run.
   *
   * @param c the refresh transaction's connection
   * @param st the row as this transaction locked it
   * @param done what the refresh did
   * @param costModel AUTO's measurements after the refresh (JSON), or {@code null} to keep the
   *     stored ones
   * @return the database's clock right before the commit, epoch milliseconds (for the freshness
   *     metric)
   * @throws SQLException if the database fails, or with SQLSTATE 40001 if the frontier moved (the
   *     transaction is then aborted, not committed)
   */
  static long completeAndCommit(Connection c, StreamTable st, Done done, String costModel)
      throws SQLException {
    RoundTrip trip = new RoundTrip();
    trip.add(RefreshCatalog.WORKER_ROLE);
    List<Object> p = new ArrayList<>();
    p.addAll(
        List.of(
            done.after().toJson(),
            done.reason(),
            costModel == null ? RoundTrip.nullOf(Types.VARCHAR) : costModel,
            st.pgtId(),
            st.frontier() == null ? RoundTrip.nullOf(Types.VARCHAR) : st.frontier()));
    p.addAll(historyParameters(st.pgtId(), done, "COMPLETED", null));
    p.add(st.displayName());
    int records =
        trip.add(
            "WITH u AS (UPDATE pgtrickle.pgt_stream_tables SET frontier = ?::jsonb,"
                + " data_timestamp = now(), last_refresh_at = clock_timestamp(),"
                + " is_populated = true,"
                + " status = CASE WHEN status IN ('INITIALIZING', 'ERROR') THEN 'ACTIVE'"
                + " ELSE status END,"
                + " consecutive_errors = 0, last_error_message = NULL, needs_reinit = false,"
                + " refresh_reason = ?, cost_model = coalesce(?::jsonb, cost_model)"
                + " WHERE pgt_id = ? AND frontier IS NOT DISTINCT FROM ?::jsonb RETURNING 1),"
                + " h AS (INSERT INTO pgtrickle.pgt_refresh_history ("
                + HISTORY_COLUMNS
                + ") SELECT "
                + HISTORY_VALUES
                + " WHERE EXISTS (SELECT FROM u) RETURNING 1)"
                + " SELECT CASE WHEN (SELECT count(*) FROM u) = 1 AND (SELECT count(*) FROM h) = 1"
                + " THEN (extract(epoch FROM clock_timestamp()) * 1000)::bigint"
                + " ELSE pgtrickle._frontier_moved(?) END",
            1,
            p);
    trip.add("COMMIT");
    try (RoundTrip.Results r = trip.run(c);
        ResultSet rs = r.rows(records)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /**
   * Records a failed refresh: one more consecutive error, the message, ERROR status when the
   * failure is permanent or the errors reached the limit, and a FAILED history row.
   *
   * @param c a connection in a transaction that holds the stream table's claim
   * @param st the stream table
   * @param message the error
   * @param permanent whether retrying cannot help (the query no longer fits the sources)
   * @param maxErrors the limit of consecutive errors
   * @param done the attempt (action, initiator, frontier)
   * @return whether the stream table is in ERROR now
   * @throws SQLException if the database fails
   */
  static boolean failed(
      Connection c, StreamTable st, String message, boolean permanent, int maxErrors, Done done)
      throws SQLException {
    boolean error;
    try (PreparedStatement ps =
        c.prepareStatement(
            "UPDATE pgtrickle.pgt_stream_tables SET consecutive_errors = consecutive_errors + 1,"
                + " last_error_message = ?, last_error_at = clock_timestamp(),"
                + " refresh_reason = ?,"
                + " status = CASE WHEN status <> 'SUSPENDED'"
                + " AND (? OR consecutive_errors + 1 >= ?) THEN 'ERROR' ELSE status END"
                + " WHERE pgt_id = ? RETURNING status")) {
      ps.setString(1, message);
      // The last refresh's reason is this failure's, not the last success's ("no changes").
      ps.setString(2, failedReason(done.action(), message));
      ps.setBoolean(3, permanent);
      ps.setInt(4, maxErrors);
      ps.setLong(5, st.pgtId());
      try (var rs = ps.executeQuery()) {
        error = rs.next() && "ERROR".equals(rs.getString(1));
      }
    }
    history(c, st.pgtId(), done, "FAILED", message);
    return error;
  }

  /**
   * The stream table's {@code refresh_reason} after a failed refresh, e.g. {@code FULL failed:
   * ERROR: column "a" does not exist}.
   */
  static String failedReason(String action, String message) {
    return (action == null ? "refresh" : action) + " failed: " + message;
  }

  /**
   * Records a failure that left the refresh transaction unusable or in an unknown state (a fault of
   * the engine, {@link RefreshErrors#engineFault}, possibly in the middle of the plan): rolls it
   * back, takes the claim again in a new transaction and records the failure there as {@link
   * #failed} does (not permanent: it counts towards {@code maxErrors}), and commits.
   *
   * @param c the refresh transaction's connection
   * @param st the stream table as the refresh read it
   * @param message the error
   * @param maxErrors the limit of consecutive errors
   * @param done the attempt
   * @return whether the stream table is in ERROR now, or {@code null} when another worker claimed
   *     it meanwhile (nothing recorded; that one meets the same fault)
   * @throws SQLException if the database fails
   */
  static Boolean failedApart(Connection c, StreamTable st, String message, int maxErrors, Done done)
      throws SQLException {
    c.rollback();
    if (!Claims.tryClaim(c, st.pgtId())) {
      c.rollback();
      return null;
    }
    boolean error = failed(c, st, message, false, maxErrors, done);
    c.commit();
    return error;
  }

  private static final String HISTORY_COLUMNS =
      "pgt_id, data_timestamp, start_time, end_time, action, rows_inserted, rows_updated,"
          + " rows_deleted, delta_row_count, status, error_message, initiated_by, refresh_reason,"
          + " frontier_before, frontier_after, worker_id";

  private static final String HISTORY_VALUES =
      "?, CASE WHEN ? = 'COMPLETED' THEN now() END, ?, clock_timestamp(), ?, ?, ?, ?, ?, ?, ?, ?,"
          + " ?, ?::jsonb, ?::jsonb, ?";

  private static void history(Connection c, long pgtId, Done d, String status, String error)
      throws SQLException {
    RoundTrip trip = new RoundTrip();
    trip.add(
        "INSERT INTO pgtrickle.pgt_refresh_history ("
            + HISTORY_COLUMNS
            + ") VALUES ("
            + HISTORY_VALUES
            + ")",
        1,
        historyParameters(pgtId, d, status, error));
    trip.run(c).close();
  }

  /** {@link #HISTORY_VALUES}' 15 parameters. */
  private static List<Object> historyParameters(long pgtId, Done d, String status, String error) {
    List<Object> p = new ArrayList<>();
    p.add(pgtId);
    p.add(status);
    p.add(Timestamp.from(d.start()));
    p.add(d.action());
    for (long n : new long[] {d.counts().inserted(), d.counts().updated(), d.counts().deleted()}) {
      p.add(d.counts().known() ? (Object) n : RoundTrip.nullOf(Types.BIGINT));
    }
    p.add(d.deltaRows());
    p.add(status);
    p.add(text(error));
    p.add(d.initiatedBy());
    p.add(text(d.reason()));
    p.add(d.before() == null ? RoundTrip.nullOf(Types.VARCHAR) : d.before().toJson());
    p.add(d.after() == null ? RoundTrip.nullOf(Types.VARCHAR) : d.after().toJson());
    p.add(text(d.workerId()));
    return p;
  }

  private static Object text(String s) {
    return s == null ? RoundTrip.nullOf(Types.VARCHAR) : s;
  }
}
