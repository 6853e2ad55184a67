package io.pgtrickle.worker.ingest;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Deletes old rows of {@code pgtrickle.pgt_refresh_history}, which otherwise grows by one row per
 * refresh forever (86,400 a day for a stream table refreshed every second).
 *
 * <p>Per stream table: rows that started more than {@code maxAge} ago, and rows beyond the newest
 * {@code maxRows}. In batches of {@code batch} rows, each its own transaction (short locks, little
 * WAL at a time, vacuum keeps up), at most {@code maxPerPass} rows per pass; the next pass goes on.
 * Both use the index {@code (pgt_id, start_time)}. The ingest lease holder runs it, so one worker
 * does. The catalog row, its frontier and the stream table are never touched: the history is a
 * record, nothing reads it to refresh. {@code pg_stat_pgtrickle}'s totals count the rows kept.
 *
 * @param maxAge rows older than this go; {@link Duration#ZERO}: no age limit
 * @param maxRows rows kept per stream table at most; 0: no limit
 * @param batch rows per delete transaction (at least 1)
 * @param maxPerPass rows one pass deletes at most
 */
public record HistoryRetention(Duration maxAge, long maxRows, int batch, long maxPerPass) {

  /** The batch and per-pass bound the worker uses. */
  public static HistoryRetention of(Duration maxAge, long maxRows) {
    return new HistoryRetention(maxAge, maxRows, 1_000, 20_000);
  }

  /** Whether anything is ever deleted. */
  public boolean enabled() {
    return !maxAge.isZero() || maxRows > 0;
  }

  /**
   * One pass over every stream table.
   *
   * @param c an autocommit connection
   * @return rows deleted
   * @throws SQLException if the database fails
   */
  public long prune(Connection c) throws SQLException {
    if (!enabled()) {
      return 0;
    }
    List<Long> ids = new ArrayList<>();
    try (PreparedStatement ps =
            c.prepareStatement("SELECT DISTINCT pgt_id FROM pgtrickle.pgt_stream_tables");
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        ids.add(rs.getLong(1));
      }
    }
    long deleted = 0;
    for (long id : ids) {
      if (!maxAge.isZero()) {
        deleted +=
            batches(
                c,
                "DELETE FROM pgtrickle.pgt_refresh_history WHERE refresh_id IN ("
                    + " SELECT refresh_id FROM pgtrickle.pgt_refresh_history WHERE pgt_id = ?"
                    + " AND start_time < now() - make_interval(secs => ?)"
                    + " ORDER BY start_time LIMIT ?)",
                id,
                maxAge.toMillis() / 1000.0,
                maxPerPass - deleted);
      }
      if (maxRows > 0 && deleted < maxPerPass) {
        deleted +=
            batches(
                c,
                "DELETE FROM pgtrickle.pgt_refresh_history WHERE refresh_id IN ("
                    + " SELECT refresh_id FROM pgtrickle.pgt_refresh_history WHERE pgt_id = ?"
                    + " ORDER BY start_time DESC, refresh_id DESC OFFSET ?::bigint LIMIT ?)",
                id,
                maxRows,
                maxPerPass - deleted);
      }
      if (deleted >= maxPerPass) {
        break;
      }
    }
    return deleted;
  }

  /** Runs a delete of at most {@code batch} rows until it deletes fewer or the budget is spent. */
  private long batches(Connection c, String sql, long pgtId, Object bound, long budget)
      throws SQLException {
    long deleted = 0;
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      while (deleted < budget) {
        int n = (int) Math.min(batch, budget - deleted);
        ps.setLong(1, pgtId);
        ps.setObject(2, bound);
        ps.setInt(3, n);
        int done = ps.executeUpdate();
        deleted += done;
        if (done < n) {
          break;
        }
      }
    }
    return deleted;
  }
}
