package io.pgtrickle.worker.refresh;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Instant;

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
   * Records a completed refresh: compare-and-set of the frontier together with the stream table's
   * row, and the history row, in one statement (data-modifying CTEs: one round trip).
   *
   * @param c the refresh transaction's connection
   * @param st the row as this transaction locked it
   * @param done what the refresh did
   * @param costModel AUTO's measurements after the refresh (JSON), or {@code null} to keep the
   *     stored ones
   * @return the database's clock after the writes, epoch milliseconds (for the freshness metric)
   * @throws SQLException if the database fails, or with SQLSTATE 40001 if the frontier moved
   */
  static long completed(Connection c, StreamTable st, Done done, String costModel)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
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
                + " SELECT (SELECT count(*) FROM u), (SELECT count(*) FROM h),"
                + " (extract(epoch FROM clock_timestamp()) * 1000)::bigint")) {
      ps.setString(1, done.after().toJson());
      ps.setString(2, done.reason());
      ps.setString(3, costModel);
      ps.setLong(4, st.pgtId());
      ps.setString(5, st.frontier());
      historyParameters(ps, 6, st.pgtId(), done, "COMPLETED", null);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        if (rs.getLong(1) != 1) {
          throw new SQLException(
              "the frontier of " + st.displayName() + " moved during the refresh", "40001");
        }
        return rs.getLong(3);
      }
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
                + " status = CASE WHEN status <> 'SUSPENDED'"
                + " AND (? OR consecutive_errors + 1 >= ?) THEN 'ERROR' ELSE status END"
                + " WHERE pgt_id = ? RETURNING status")) {
      ps.setString(1, message);
      ps.setBoolean(2, permanent);
      ps.setInt(3, maxErrors);
      ps.setLong(4, st.pgtId());
      try (var rs = ps.executeQuery()) {
        error = rs.next() && "ERROR".equals(rs.getString(1));
      }
    }
    history(c, st.pgtId(), done, "FAILED", message);
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
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO pgtrickle.pgt_refresh_history ("
                + HISTORY_COLUMNS
                + ") VALUES ("
                + HISTORY_VALUES
                + ")")) {
      historyParameters(ps, 1, pgtId, d, status, error);
      ps.executeUpdate();
    }
  }

  /** Binds {@link #HISTORY_VALUES}' 15 parameters from {@code first} on. */
  private static void historyParameters(
      PreparedStatement ps, int first, long pgtId, Done d, String status, String error)
      throws SQLException {
    int i = first;
    ps.setLong(i++, pgtId);
    ps.setString(i++, status);
    ps.setTimestamp(i++, Timestamp.from(d.start()));
    ps.setString(i++, d.action());
    for (long n : new long[] {d.counts().inserted(), d.counts().updated(), d.counts().deleted()}) {
      if (d.counts().known()) {
        ps.setLong(i++, n);
      } else {
        ps.setNull(i++, Types.BIGINT);
      }
    }
    ps.setLong(i++, d.deltaRows());
    ps.setString(i++, status);
    ps.setString(i++, error);
    ps.setString(i++, d.initiatedBy());
    ps.setString(i++, d.reason());
    ps.setString(i++, d.before() == null ? null : d.before().toJson());
    ps.setString(i++, d.after() == null ? null : d.after().toJson());
    ps.setString(i, d.workerId());
  }
}
