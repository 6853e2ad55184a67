package io.pgtrickle.worker.refresh;

import io.pgtrickle.changelog.Lsn;
import io.pgtrickle.worker.db.AsynchronousCommit;
import io.pgtrickle.worker.db.Claims;
import io.pgtrickle.worker.db.RoundTrip;
import io.pgtrickle.worker.db.Sql;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The opening round trip of a refresh transaction (steps 1 and part of 3 of {@link Refresher}), its
 * statements sent together:
 *
 * <ol>
 *   <li>{@code LOCK TABLE <sources> IN ACCESS SHARE MODE}, before any snapshot ({@code LOCK} takes
 *       none), by the set the refresher remembers for the stream table ({@link
 *       RefreshCatalog#lockSet});
 *   <li>the claim ({@code pg_try_advisory_xact_lock}), the snapshot S, {@code L =
 *       pg_current_wal_insert_lsn()}, asynchronous commit ({@link AsynchronousCommit}), and, per
 *       source with a change buffer, what S shows of its window {@code frontier <= lsn < L}: the
 *       count and the last {@code (lsn, seq)} ({@link Visible});
 *   <li>the catalog row, locked {@code FOR NO KEY UPDATE} only if the claim was granted (so a
 *       refresh that lost the claim never waits for the row);
 *   <li>the sources ({@link RefreshCatalog#SOURCES}), with what the lock set is now, so that a
 *       refresh that locked by a stale set notices and starts over.
 * </ol>
 */
final class RefreshOpening {

  /** What a refresher remembers of a stream table between refreshes. */
  private record Remembered(RefreshCatalog.LockSet lockSet, Set<Long> buffers) {}

  private final Map<Long, Remembered> remembered = new HashMap<>();

  /**
   * What the snapshot S shows of a source's window.
   *
   * @param count the window's rows visible in S
   * @param lastLsn the largest {@code (lsn, seq)} among them: its LSN ({@code null} if none)
   * @param lastSeq its seq
   */
  record Visible(long count, Lsn lastLsn, int lastSeq) {}

  /**
   * What the opening round trip found.
   *
   * @param claimed whether this transaction holds the stream table's claim
   * @param snapshot S, {@code pg_current_snapshot()} text
   * @param l L
   * @param streamTable the catalog row (null if not claimed, or dropped)
   * @param sources the sources as S shows them
   * @param visible per source whose buffer was read: what S shows of its window
   */
  record Opening(
      boolean claimed,
      String snapshot,
      Lsn l,
      StreamTable streamTable,
      RefreshCatalog.Sources sources,
      Map<Long, Visible> visible) {}

  /**
   * The opening round trip, locking the sources by the set remembered for the stream table (read on
   * the probe the first time and whenever the opening finds it changed). A worker role not allowed
   * to lock a source (42501) goes on without the lock.
   *
   * @param conn the refresh connection, in a transaction that has run nothing yet
   * @param probe the refresher's auto-commit connection
   * @param pgtId the stream table
   * @param readsRows whether the plan reads the windows' rows (else what S shows of them is not
   *     counted: a recompute does not need it)
   * @return what it found, or {@code null} when a remembered name or change buffer is gone or the
   *     sources changed (the transaction is rolled back; the next attempt reads the set again)
   * @throws SQLException if the database fails
   */
  Opening open(Connection conn, Connection probe, long pgtId, boolean readsRows)
      throws SQLException {
    Remembered known = remembered.get(pgtId);
    RefreshCatalog.LockSet lock =
        known != null ? known.lockSet() : RefreshCatalog.lockSet(probe, pgtId);
    Collection<Long> buffers = known != null && readsRows ? known.buffers() : List.of();
    Opening o;
    boolean locking = true;
    try {
      o = open(conn, pgtId, lock, buffers);
    } catch (SQLException e) {
      conn.rollback();
      remembered.remove(pgtId);
      if ("42501".equals(e.getSQLState()) && !lock.lockable().isEmpty()) {
        o = open(conn, pgtId, null, buffers);
        locking = false;
      } else if (known != null && sourceGone(e.getSQLState())) {
        return null; // a source renamed or dropped, a buffer dropped
      } else {
        throw e;
      }
    }
    if (locking && o.claimed() && !lock.equals(o.sources().lockSet())) {
      // The sources changed (ALTER ... query, a rename) between reading the set and the snapshot.
      conn.rollback();
      remembered.remove(pgtId);
      return null;
    }
    if (locking) {
      remembered.put(pgtId, new Remembered(o.sources().lockSet(), o.sources().buffers()));
    }
    return o;
  }

  /**
   * Whether a failure of an opening that locked by a remembered set says that set is out of date: a
   * source renamed or dropped, a buffer dropped (class 42), or the schema of a remembered name
   * dropped ({@code DROP SCHEMA ... CASCADE}: {@code LOCK TABLE} raises 3F000, not 42P01).
   */
  static boolean sourceGone(String sqlState) {
    return sqlState != null && (sqlState.startsWith("42") || sqlState.equals("3F000"));
  }

  /**
   * Runs the opening round trip, in a transaction that has run nothing yet (the driver's {@code
   * BEGIN} goes with it; the session's isolation level is REPEATABLE READ).
   *
   * @param c the refresh connection
   * @param pgtId the stream table
   * @param lock what to lock first, or {@code null} to lock nothing
   * @param buffers the sources whose window to read in S (they must have a change buffer)
   * @return what it found
   * @throws SQLException if a statement fails (the transaction is then aborted)
   */
  private static Opening open(
      Connection c, long pgtId, RefreshCatalog.LockSet lock, Collection<Long> buffers)
      throws SQLException {
    RoundTrip trip = new RoundTrip();
    if (lock != null && !lock.lockable().isEmpty()) {
      trip.add("LOCK TABLE " + String.join(", ", lock.lockable()) + " IN ACCESS SHARE MODE");
    }
    int claim = trip.add(claimSql(buffers), 1, claimParameters(pgtId, buffers));
    int row =
        trip.add(
            "SELECT "
                + StreamTable.COLUMNS
                + " FROM pgtrickle.pgt_stream_tables WHERE pgt_id = ?"
                + " AND pg_try_advisory_xact_lock(?, ?) FOR NO KEY UPDATE",
            pgtId,
            Claims.CLASS,
            Math.toIntExact(pgtId));
    int sources = trip.add(RefreshCatalog.SOURCES, pgtId);
    try (RoundTrip.Results r = trip.run(c)) {
      boolean claimed = false;
      String snapshot = null;
      Lsn l = null;
      Map<Long, Visible> visible = new HashMap<>();
      try (ResultSet rs = r.rows(claim)) {
        while (rs.next()) {
          if (rs.getString(4) == null) {
            claimed = rs.getBoolean(1);
            snapshot = rs.getString(2);
            l = Lsn.parse(rs.getString(3));
          } else {
            String last = rs.getString(6);
            visible.put(
                rs.getLong(4),
                new Visible(rs.getLong(5), last == null ? null : Lsn.parse(last), rs.getInt(7)));
          }
        }
      }
      StreamTable st;
      try (ResultSet rs = r.rows(row)) {
        st = rs.next() ? StreamTable.read(rs) : null;
      }
      RefreshCatalog.Sources s;
      try (ResultSet rs = r.rows(sources)) {
        s = RefreshCatalog.sources(rs, l);
      }
      return new Opening(claimed, snapshot, l, st, s, visible);
    }
  }

  /**
   * The claim statement: one row (claimed, S, L) with a NULL fourth column, then, if claimed, one
   * row per source in {@code buffers}: its OID, the count and the last {@code (lsn, seq)} of its
   * window in S, the window's lower bound taken from the stored frontier.
   */
  static String claimSql(Collection<Long> buffers) {
    StringBuilder sql =
        new StringBuilder(
            "WITH o AS MATERIALIZED (SELECT pg_try_advisory_xact_lock(?, ?) AS claimed,"
                + " pg_current_snapshot()::text AS snapshot, pg_current_wal_insert_lsn() AS l, "
                + AsynchronousCommit.SET_LOCAL
                + " AS c), f AS (SELECT frontier -> 'sources' AS s FROM"
                + " pgtrickle.pgt_stream_tables WHERE pgt_id = ?)"
                + " SELECT o.claimed, o.snapshot, o.l::text, NULL::bigint, NULL::bigint,"
                + " NULL::text, NULL::integer FROM o");
    for (long oid : buffers) {
      String buffer = Sql.changeBuffer(oid);
      sql.append(" UNION ALL SELECT NULL, NULL, NULL, ")
          .append(oid)
          .append("::bigint, (SELECT count(*) FROM ")
          .append(buffer)
          .append(" b WHERE b.lsn >= w.lower AND b.lsn < o.l), last.lsn::text, last.seq")
          .append(" FROM o CROSS JOIN (SELECT (f.s ->> ?)::pg_lsn AS lower FROM f) w")
          .append(" LEFT JOIN LATERAL (SELECT b.lsn, b.seq FROM ")
          .append(buffer)
          .append(" b WHERE b.lsn >= w.lower AND b.lsn < o.l ORDER BY b.lsn DESC, b.seq DESC")
          .append(" LIMIT 1) last ON true WHERE o.claimed");
    }
    return sql.toString();
  }

  private static List<Object> claimParameters(long pgtId, Collection<Long> buffers) {
    List<Object> p = new ArrayList<>(List.of(Claims.CLASS, Math.toIntExact(pgtId), pgtId));
    for (long oid : buffers) {
      // The frontier's key is bound, not written: the statement's text stays the same for every
      // stream table reading the same sources.
      p.add(Long.toString(oid));
    }
    return p;
  }
}
