package io.pgtrickle.worker.ingest;

import io.pgtrickle.changelog.Lsn;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The database's WAL insert position and how far its physical standbys have flushed, in one
 * statement: {@code pg_stat_replication}'s walsenders that serve no database ({@code
 * pg_stat_activity.datid} NULL, so not logical decoding) in state {@code streaming} or {@code
 * catchup}, or whose state this role cannot see (without {@code pg_read_all_stats} every column but
 * the pid is NULL: such a standby may be streaming, so it counts, as hidden). Read after an ingest
 * commit returned, the insert position is at or after that commit's record ({@link AckHoldback}).
 *
 * @param insertPosition {@code pg_current_wal_insert_lsn()}
 * @param minFlush the smallest {@code flush_lsn} among those standbys, or null if none or hidden
 * @param streaming how many such standbys there are
 * @param hidden how many of them show no position to this role (it lacks {@code pg_read_all_stats})
 */
record StandbyFlush(Lsn insertPosition, Lsn minFlush, int streaming, int hidden) {

  static final String SQL =
      "SELECT pg_current_wal_insert_lsn()::text, s.min_flush::text, s.streaming, s.hidden FROM"
          + " (SELECT min(r.flush_lsn) AS min_flush, count(*) AS streaming,"
          + " count(*) FILTER (WHERE r.flush_lsn IS NULL) AS hidden"
          + " FROM pg_stat_replication r JOIN pg_stat_activity a ON a.pid = r.pid"
          + " WHERE a.datid IS NULL"
          + " AND (r.state IN ('streaming', 'catchup') OR r.state IS NULL)) AS s";

  /**
   * Reads them.
   *
   * @param c a connection to the primary (outside a transaction, or in one: it reads no table)
   * @return the positions
   * @throws SQLException if the database fails
   */
  static StandbyFlush read(Connection c) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(SQL)) {
      return of(rs);
    }
  }

  /**
   * Reads the result of {@link #SQL} (run in a round trip).
   *
   * @param rs its one row
   * @return the positions
   * @throws SQLException if the driver fails
   */
  static StandbyFlush of(ResultSet rs) throws SQLException {
    rs.next();
    String min = rs.getString(2);
    return new StandbyFlush(
        Lsn.parse(rs.getString(1)),
        min == null ? null : Lsn.parse(min),
        rs.getInt(3),
        rs.getInt(4));
  }
}
