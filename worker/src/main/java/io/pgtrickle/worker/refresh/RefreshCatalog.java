package io.pgtrickle.worker.refresh;

import io.pgtrickle.changelog.Lsn;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The catalog reads of a refresh, in its transaction (so as of its snapshot). */
final class RefreshCatalog {

  private RefreshCatalog() {}

  /**
   * The sources of a stream table.
   *
   * @param base base tables, by OID
   * @param captured the base tables the CDC captures from at or below the snapshot's LSN
   * @param capturedSince per captured base table: its {@code captured_since_lsn}
   * @param upstream stream tables read, with their {@code data_lsn} (or {@code null})
   * @param upstreamThrough per stream table read whose frontier has an entry for each of its own
   *     sources: the lowest of them (its contents reflect every change to the base tables behind it
   *     committed below that LSN); missing while it lacks one (never refreshed, a source added)
   * @param names every source's name for messages
   */
  record Sources(
      List<Long> base,
      Set<Long> captured,
      Map<Long, Lsn> capturedSince,
      Map<Long, Lsn> upstream,
      Map<Long, Lsn> upstreamThrough,
      Map<Long, String> names) {

    /**
     * Every table and stream-table source.
     *
     * @return their OIDs
     */
    Set<Long> all() {
      Set<Long> all = new HashSet<>(base);
      all.addAll(upstream.keySet());
      return all;
    }
  }

  static StreamTable lockStreamTable(Connection c, long pgtId) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT "
                + StreamTable.COLUMNS
                + " FROM pgtrickle.pgt_stream_tables WHERE pgt_id = ? FOR NO KEY UPDATE")) {
      ps.setLong(1, pgtId);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? StreamTable.read(rs) : null;
      }
    }
  }

  /**
   * What a refresh must lock before its snapshot, read outside the refresh transaction.
   *
   * @param sources every table and stream-table source by OID (views excluded: the tables behind
   *     them are sources of their own)
   * @param lockable the quoted names of those {@code LOCK TABLE} accepts (tables, partitioned
   *     tables), in OID order
   */
  record LockSet(Set<Long> sources, List<String> lockable) {}

  /**
   * The sources to lock before a refresh's snapshot is taken ({@link Refresher}: TRUNCATE is not
   * MVCC-safe, so a snapshot taken while a TRUNCATE is uncommitted would read the table empty once
   * it commits).
   *
   * @param c a connection in auto-commit (the refresh's own must not take a snapshot yet)
   * @param pgtId the stream table
   * @return the set
   * @throws SQLException if the catalog cannot be read
   */
  static LockSet lockSet(Connection c, long pgtId) throws SQLException {
    Set<Long> sources = new HashSet<>();
    List<String> lockable = new ArrayList<>();
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT d.source_relid::oid::bigint, CASE WHEN r.relkind IN ('r', 'p')"
                + " THEN format('%I.%I', n.nspname, r.relname) END"
                + " FROM pgtrickle.pgt_dependencies d"
                + " LEFT JOIN pg_class r ON r.oid = d.source_relid"
                + " LEFT JOIN pg_namespace n ON n.oid = r.relnamespace"
                + " WHERE d.pgt_id = ? AND d.source_type IN ('TABLE', 'STREAM_TABLE') ORDER BY 1")) {
      ps.setLong(1, pgtId);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          sources.add(rs.getLong(1));
          if (rs.getString(2) != null) {
            lockable.add(rs.getString(2));
          }
        }
      }
    }
    return new LockSet(sources, lockable);
  }

  /**
   * Locks the sources {@code IN ACCESS SHARE MODE} as the transaction's first statement, before its
   * snapshot ({@code LOCK} takes none). TRUNCATE is not MVCC-safe: a snapshot taken while a
   * TRUNCATE is uncommitted would, once it commits, read the table empty although the snapshot
   * predates it. With the lock, a TRUNCATE in progress is waited for (the snapshot then shows it,
   * and its window the 'T'), and one that starts later waits for the refresh; readers and writers
   * of the sources are not blocked ({@code ROW EXCLUSIVE} does not conflict).
   *
   * <p>The tables are locked in one order, by OID ({@link #lockSet}), so two refreshes never
   * deadlock with each other. A user transaction that locks several sources of one stream table
   * exclusively (TRUNCATE) in another order can deadlock with a refresh; PostgreSQL aborts one of
   * the two after {@code deadlock_timeout}. A refresh aborted so (40P01) is retried like any
   * transient failure ({@link RefreshErrors#transientFailure}) and never recorded as an error of
   * the stream table.
   *
   * @param conn the refresh connection, in a transaction that has run no statement yet
   * @param probe an auto-commit connection to read the catalog on
   * @param pgtId the stream table
   * @return what was locked, or {@code null} when the worker's role may not lock a source (the
   *     refresh goes on without, and the owner's privileges decide as before)
   */
  static LockSet lockSources(Connection conn, Connection probe, long pgtId) throws SQLException {
    LockSet set = lockSet(probe, pgtId);
    if (set.lockable().isEmpty()) {
      return set;
    }
    try (var s = conn.createStatement()) {
      s.execute("LOCK TABLE " + String.join(", ", set.lockable()) + " IN ACCESS SHARE MODE");
      return set;
    } catch (SQLException e) {
      if (!"42501".equals(e.getSQLState())) {
        throw e;
      }
      conn.rollback();
      return null;
    }
  }

  static Sources sources(Connection c, long pgtId, Lsn l) throws SQLException {
    List<Long> base = new ArrayList<>();
    Set<Long> captured = new HashSet<>();
    Map<Long, Lsn> capturedSince = new HashMap<>();
    Map<Long, Lsn> upstream = new HashMap<>();
    Map<Long, Lsn> upstreamThrough = new HashMap<>();
    Map<Long, String> names = new HashMap<>();
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT d.source_relid::oid::bigint, d.source_type, d.source_relid::text,"
                + " t.slot_name, t.captured_since_lsn::text,"
                + " u.frontier ->> 'data_lsn',"
                // How far the upstream table is fresh: the lowest position of its own frontier,
                // if it has one for every source it reads (none: it reads nothing that changes).
                + " (SELECT CASE WHEN u.frontier IS NULL THEN NULL"
                + "   WHEN coalesce(bool_and(u.frontier -> 'sources' ->> ud.source_relid::oid::text"
                + "   IS NOT NULL), true) THEN coalesce(min((u.frontier -> 'sources' ->>"
                + "   ud.source_relid::oid::text)::pg_lsn)::text, '') END"
                + "  FROM pgtrickle.pgt_dependencies ud WHERE ud.pgt_id = u.pgt_id"
                + "  AND ud.source_type IN ('TABLE', 'STREAM_TABLE'))"
                + " FROM pgtrickle.pgt_dependencies d"
                + " LEFT JOIN pgtrickle.pgt_change_tracking t ON t.source_relid = d.source_relid"
                + " LEFT JOIN pgtrickle.pgt_stream_tables u ON u.pgt_relid = d.source_relid"
                + " WHERE d.pgt_id = ? ORDER BY 1")) {
      ps.setLong(1, pgtId);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          long oid = rs.getLong(1);
          names.put(oid, rs.getString(3));
          if ("VIEW".equals(rs.getString(2))) {
            continue; // the tables behind it are dependencies of their own
          }
          if ("STREAM_TABLE".equals(rs.getString(2))) {
            String data = rs.getString(6);
            upstream.put(oid, data == null ? null : Lsn.parse(data));
            String through = rs.getString(7);
            if (through != null) {
              upstreamThrough.put(oid, through.isEmpty() ? l : min(Lsn.parse(through), l));
            }
            continue;
          }
          base.add(oid);
          String since = rs.getString(5);
          if (rs.getString(4) != null && since != null && Lsn.parse(since).compareTo(l) <= 0) {
            captured.add(oid);
            capturedSince.put(oid, Lsn.parse(since));
          }
        }
      }
    }
    return new Sources(base, captured, capturedSince, upstream, upstreamThrough, names);
  }

  private static Lsn min(Lsn a, Lsn b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  /**
   * The base sources' column fingerprints and estimated rows.
   *
   * @param fingerprints per source: md5 of its columns' names and types, in order
   * @param rows per source: {@code pg_class.reltuples} (absent if never analyzed: -1 on PostgreSQL
   *     14+)
   */
  record Shapes(Map<Long, String> fingerprints, Map<Long, Double> rows) {}

  /** A fingerprint of each source's columns and its estimated rows, in one statement. */
  static Shapes shapes(Connection c, List<Long> oids) throws SQLException {
    Map<Long, String> out = new HashMap<>();
    Map<Long, Double> rows = new HashMap<>();
    if (oids.isEmpty()) {
      return new Shapes(out, rows);
    }
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT a.attrelid::bigint, md5(string_agg(a.attname::text || ' '"
                + " || format_type(a.atttypid, a.atttypmod), ',' ORDER BY a.attnum)),"
                + " max(t.reltuples)::float8"
                + " FROM pg_attribute a JOIN pg_class t ON t.oid = a.attrelid"
                + " WHERE a.attrelid::bigint = ANY(?) AND a.attnum > 0"
                + " AND NOT a.attisdropped GROUP BY a.attrelid")) {
      ps.setArray(1, c.createArrayOf("bigint", oids.toArray()));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.put(rs.getLong(1), rs.getString(2));
          double r = rs.getDouble(3);
          if (r >= 0) {
            rows.put(rs.getLong(1), r);
          }
        }
      }
    }
    return new Shapes(out, rows);
  }

  /**
   * Makes the rest of the transaction (until {@link #resetRole}) run as the storage table's owner,
   * with the stream table's {@code search_path} when it has one (one statement). The worker's role
   * must be a superuser or a member of the owner's role.
   */
  static void setRoleToOwner(Connection c, long relid, String searchPath) throws SQLException {
    boolean path = searchPath != null && !searchPath.isBlank();
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT set_config('role', (SELECT rolname FROM pg_roles r JOIN pg_class t"
                + " ON t.relowner = r.oid WHERE t.oid = ?::bigint::oid), true)"
                + (path ? ", set_config('search_path', ?, true)" : ""))) {
      ps.setLong(1, relid);
      if (path) {
        ps.setString(2, searchPath);
      }
      ps.execute();
    }
  }

  /** Back to the worker's own role, for the catalog writes. */
  static void resetRole(Connection c) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT set_config('role', 'none', true)")) {
      ps.execute();
    }
  }
}
