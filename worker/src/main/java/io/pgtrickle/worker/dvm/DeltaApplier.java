package io.pgtrickle.worker.dvm;

import io.pgtrickle.worker.db.AsynchronousCommit;
import io.pgtrickle.worker.dvm.catalog.RelationInfo;
import io.pgtrickle.worker.dvm.sql.BoundStatement;
import io.pgtrickle.worker.dvm.sql.SourceDeltaSql;
import io.pgtrickle.worker.refresh.RowCounts;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs a plan's statements on a connection, inside the caller's refresh transaction (the caller
 * owns BEGIN REPEATABLE READ, the snapshot, frontiers and COMMIT: CONTRACTS.md §4-5).
 */
public final class DeltaApplier {

  private DeltaApplier() {}

  /**
   * Counts each source's window in one query.
   *
   * @param lower the window's lower bound per source oid (the frontier)
   * @param upper the upper bound L
   * @param relations the relation holding each source's changes, by oid (absent: the change buffer)
   */
  public static WindowStats inspect(
      Connection c,
      DifferentialPlan plan,
      Map<Long, String> lower,
      String upper,
      Map<Long, String> relations)
      throws SQLException {
    List<String> arms = new ArrayList<>();
    for (RelationInfo r : plan.sources()) {
      String rel = relations.getOrDefault(r.oid(), SourceDeltaSql.changeBuffer(r));
      arms.add(
          "SELECT "
              + r.oid()
              + "::bigint, count(*), coalesce(bool_or(action IN ('T', 'G')), false) FROM "
              + rel
              + " WHERE lsn >= ?::pg_lsn AND lsn < ?::pg_lsn");
    }
    Map<Long, Long> counts = new HashMap<>();
    boolean recompute = false;
    try (PreparedStatement ps = c.prepareStatement(String.join(" UNION ALL ", arms))) {
      int p = 1;
      for (RelationInfo r : plan.sources()) {
        ps.setString(p++, lower.get(r.oid()));
        ps.setString(p++, upper);
      }
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          counts.put(rs.getLong(1), rs.getLong(2));
          recompute |= rs.getBoolean(3);
        }
      }
    }
    return new WindowStats(counts, recompute);
  }

  /**
   * The opening statement of a refresh transaction: takes the snapshot and, in the same statement,
   * L = {@code pg_current_wal_insert_lsn()}, each source's window count (lower bound = the
   * frontier, upper bound = L) and its estimated rows ({@code pg_class.reltuples}, for AUTO's
   * choice); and makes the transaction's commit asynchronous, as the worker's refreshes are ({@link
   * AsynchronousCommit}). One round trip.
   *
   * @param lower the window's lower bound per source oid (the frontier)
   * @param relations the relation holding each source's changes, by oid (absent: the change buffer)
   */
  public static Opening open(
      Connection c, DifferentialPlan plan, Map<Long, String> lower, Map<Long, String> relations)
      throws SQLException {
    List<String> arms = new ArrayList<>();
    for (RelationInfo r : plan.sources()) {
      String rel = relations.getOrDefault(r.oid(), SourceDeltaSql.changeBuffer(r));
      arms.add(
          "SELECT l.l::text, "
              + r.oid()
              + "::bigint, w.n, w.t, (SELECT reltuples::float8 FROM pg_class WHERE oid = ?::oid)"
              + " FROM __pgt_l AS l CROSS JOIN LATERAL (SELECT count(*) AS n,"
              + " coalesce(bool_or(action IN ('T', 'G')), false) AS t FROM "
              + rel
              + " WHERE lsn >= ?::pg_lsn AND lsn < l.l) AS w");
    }
    String sql =
        "WITH __pgt_l AS MATERIALIZED (SELECT pg_current_wal_insert_lsn() AS l, "
            + AsynchronousCommit.SET_LOCAL
            + " AS c) "
            + String.join(" UNION ALL ", arms);
    Map<Long, Long> counts = new HashMap<>();
    boolean recompute = false;
    String upper = null;
    double rows = 0;
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      int p = 1;
      for (RelationInfo r : plan.sources()) {
        // The OID is bound, not written: a cached plan holding an oid constant depends on that
        // relation, and every ANALYZE of the source (new reltuples) would make it planned again.
        ps.setLong(p++, r.oid());
        ps.setString(p++, lower.get(r.oid()));
      }
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          upper = rs.getString(1);
          counts.put(rs.getLong(2), rs.getLong(3));
          recompute |= rs.getBoolean(4);
          double estimate = rs.getDouble(5);
          rows = rows < 0 || rs.wasNull() || estimate < 0 ? -1 : rows + estimate;
        }
      }
    }
    return new Opening(upper, new WindowStats(counts, recompute), rows);
  }

  /**
   * What {@link #open} found.
   *
   * @param upper L, the windows' upper bound ({@code pg_lsn} text)
   * @param stats the windows' counts
   * @param sourceRows the sources' estimated rows together (sum of {@code reltuples}; -1 when one
   *     is unknown: never analyzed)
   */
  public record Opening(String upper, WindowStats stats, double sourceRows) {}

  /**
   * Applies the windows of the sources that changed (one statement; on PostgreSQL 15 and 16 with
   * the two reads of {@link DifferentialPlan#countsFromStatistics}, in the same round trip).
   *
   * @return the storage rows inserted, updated and deleted ({@link RowCounts#UNKNOWN} when they
   *     cannot be counted exactly, see {@link #counts})
   */
  public static RowCounts apply(
      Connection c, DifferentialPlan plan, String schema, String table, List<SourceWindow> windows)
      throws SQLException {
    BoundStatement apply = plan.apply(schema, table, windows);
    try (PreparedStatement ps = c.prepareStatement(apply.sql())) {
      for (int i = 0; i < apply.parameters().size(); i++) {
        ps.setObject(i + 1, apply.parameters().get(i));
      }
      ps.execute();
      return counts(ps, plan.countsFromStatistics());
    }
  }

  /**
   * Reads the counts of an executed apply statement ({@link DifferentialPlan#apply}), starting at
   * its first result and leaving {@code s} at its last one (a caller that sent more statements in
   * the same round trip goes on with {@code getMoreResults}).
   *
   * @param statistics {@link DifferentialPlan#countsFromStatistics}: three results, the storage
   *     table's transaction statistics, the MERGE's row count and the statistics again; otherwise
   *     one row of three counts
   * @return inserted, updated, deleted; {@link RowCounts#UNKNOWN} when the statistics cannot be
   *     trusted: {@code track_counts} off, or differences that do not add up to the MERGE's row
   *     count (something else wrote the table in between, as a trigger would)
   */
  public static RowCounts counts(Statement s, boolean statistics) throws SQLException {
    if (!statistics) {
      return row(s.getResultSet());
    }
    long[] before = statisticsRow(s.getResultSet());
    s.getMoreResults();
    long merged = s.getLargeUpdateCount();
    s.getMoreResults();
    long[] after = statisticsRow(s.getResultSet());
    RowCounts counts =
        new RowCounts(after[0] - before[0], after[1] - before[1], after[2] - before[2]);
    boolean tracked = before[3] == 1 && after[3] == 1;
    return tracked
            && counts.known()
            && counts.inserted() + counts.updated() + counts.deleted() == merged
        ? counts
        : RowCounts.UNKNOWN;
  }

  private static RowCounts row(ResultSet rs) throws SQLException {
    try (rs) {
      if (!rs.next()) {
        throw new IllegalStateException("the apply statement returned no counts");
      }
      return new RowCounts(rs.getLong(1), rs.getLong(2), rs.getLong(3));
    }
  }

  private static long[] statisticsRow(ResultSet rs) throws SQLException {
    try (rs) {
      if (!rs.next()) {
        throw new IllegalStateException("the statistics read returned no row");
      }
      return new long[] {rs.getLong(1), rs.getLong(2), rs.getLong(3), rs.getBoolean(4) ? 1 : 0};
    }
  }

  /** Recomputes the stream table (DELETE and INSERT, bookkeeping columns filled). */
  public static void full(Connection c, DifferentialPlan plan, String schema, String table)
      throws SQLException {
    try (Statement s = c.createStatement()) {
      for (String sql : plan.fullRefresh(schema, table)) {
        s.execute(sql);
      }
    }
  }
}
