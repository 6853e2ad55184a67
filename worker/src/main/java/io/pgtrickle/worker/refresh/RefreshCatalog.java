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

/**
 * The catalog reads of a refresh: what to lock before the snapshot (on the auto-commit connection),
 * and the stream table's sources as the snapshot shows them (a statement of the opening round trip,
 * {@link RefreshOpening}).
 */
final class RefreshCatalog {

  private RefreshCatalog() {}

  /**
   * The sources of a stream table, as its refresh's snapshot shows them.
   *
   * @param base base tables, by OID
   * @param captured the base tables the CDC captures from at or below the snapshot's LSN
   * @param capturedSince per captured base table: its {@code captured_since_lsn}
   * @param upstream stream tables read, with their {@code data_lsn} (or {@code null})
   * @param upstreamThrough per stream table read whose frontier has an entry for each of its own
   *     sources: the lowest of them (its contents reflect every change to the base tables behind it
   *     committed below that LSN); missing while it lacks one (never refreshed, a source added)
   * @param names every source's name for messages
   * @param lockSet what {@link #lockSet} reads now: the sources to lock and the names to lock them
   *     by (so a refresh that locked by a remembered set can tell that the set still holds)
   * @param fingerprints per base table: its columns' {@link ColumnFingerprint}
   * @param rows per base table: {@code pg_class.reltuples} (absent if never analyzed)
   * @param buffers the base tables whose change buffer exists
   * @param views the base tables whose window view ({@link WindowRelations#view}) exists in this
   *     session and may be read by the stream table's owner
   * @param replicaIdentities per base table: its REPLICA IDENTITY ({@code DEFAULT}, {@code USING
   *     INDEX}, {@code FULL}, {@code NOTHING}), for the reason of a refresh that recomputes because
   *     of key-only changes
   * @param gone stream-table sources that are gone: their storage table was dropped, or they are no
   *     longer in the catalog (the event trigger removes the row of a stream table dropped by
   *     {@code DROP TABLE}). Nothing will ever advance their position, so a refresh must not claim
   *     their contents unchanged ({@link SourceChanges#schema})
   */
  record Sources(
      List<Long> base,
      Set<Long> captured,
      Map<Long, Lsn> capturedSince,
      Map<Long, Lsn> upstream,
      Map<Long, Lsn> upstreamThrough,
      Map<Long, String> names,
      LockSet lockSet,
      Map<Long, String> fingerprints,
      Map<Long, Double> rows,
      Set<Long> buffers,
      Set<Long> views,
      Map<Long, String> replicaIdentities,
      Set<Long> gone) {}

  /**
   * What a refresh locks before its snapshot is taken ({@link RefreshOpening}: TRUNCATE is not
   * MVCC-safe, so a snapshot taken while a TRUNCATE is uncommitted would read the table empty once
   * it commits).
   *
   * @param sources every table and stream-table source by OID (views excluded: the tables behind
   *     them are sources of their own)
   * @param lockable the quoted names of those {@code LOCK TABLE} accepts (tables, partitioned
   *     tables), in OID order
   */
  record LockSet(Set<Long> sources, List<String> lockable) {}

  /**
   * The sources to lock, read outside the refresh transaction (whose first statement must be the
   * lock, before any snapshot). A refresher remembers the set per stream table and reads it again
   * only when the opening statement finds it changed.
   *
   * @param c a connection in auto-commit
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
   * The statement reading the sources in the refresh transaction (one parameter: the pgt_id), one
   * row per dependency in OID order, read by {@link #sources}.
   */
  static final String SOURCES =
      "SELECT d.source_relid::oid::bigint, d.source_type, d.source_relid::text,"
          + " t.slot_name, t.captured_since_lsn::text, u.frontier ->> 'data_lsn',"
          // How far the upstream table is fresh: the lowest position of its own frontier, if it
          // has one for every source it reads (none: it reads nothing that changes).
          + " (SELECT CASE WHEN u.frontier IS NULL THEN NULL"
          + "   WHEN coalesce(bool_and(u.frontier -> 'sources' ->> ud.source_relid::oid::text"
          + "   IS NOT NULL), true) THEN coalesce(min((u.frontier -> 'sources' ->>"
          + "   ud.source_relid::oid::text)::pg_lsn)::text, '') END"
          + "  FROM pgtrickle.pgt_dependencies ud WHERE ud.pgt_id = u.pgt_id"
          + "  AND ud.source_type IN ('TABLE', 'STREAM_TABLE')),"
          + " CASE WHEN r.relkind IN ('r', 'p') THEN format('%I.%I', n.nspname, r.relname) END,"
          + " "
          + String.format(ColumnFingerprint.SQL, "d.source_relid::oid")
          + ","
          + " r.reltuples::float8,"
          + " to_regclass('pgtrickle_changes.changes_' || d.source_relid::oid) IS NOT NULL,"
          // The window view of this session (WindowRelations), readable by the owner.
          + " coalesce((SELECT has_table_privilege(st.relowner, v.oid, 'SELECT')"
          + "   FROM (SELECT to_regclass('pg_temp.pgt_buffer_' || d.source_relid::oid) AS oid) v,"
          + "   (SELECT relowner FROM pg_class WHERE oid = (SELECT pgt_relid FROM"
          + "   pgtrickle.pgt_stream_tables WHERE pgt_id = d.pgt_id)) st WHERE v.oid IS NOT NULL),"
          + "   false),"
          + " r.relreplident::text,"
          // A stream-table source whose storage or catalog row is gone (DROP TABLE of it).
          + " d.source_type = 'STREAM_TABLE' AND (r.oid IS NULL OR u.pgt_id IS NULL)"
          + " FROM pgtrickle.pgt_dependencies d"
          + " LEFT JOIN pg_class r ON r.oid = d.source_relid"
          + " LEFT JOIN pg_namespace n ON n.oid = r.relnamespace"
          + " LEFT JOIN pgtrickle.pgt_change_tracking t ON t.source_relid = d.source_relid"
          + " LEFT JOIN pgtrickle.pgt_stream_tables u ON u.pgt_relid = d.source_relid"
          + " WHERE d.pgt_id = ? ORDER BY 1";

  /**
   * Reads the rows of {@link #SOURCES}.
   *
   * @param rs the result
   * @param l the snapshot's LSN
   * @return the sources
   * @throws SQLException if a column cannot be read
   */
  static Sources sources(ResultSet rs, Lsn l) throws SQLException {
    List<Long> base = new ArrayList<>();
    Set<Long> captured = new HashSet<>();
    Map<Long, Lsn> capturedSince = new HashMap<>();
    Map<Long, Lsn> upstream = new HashMap<>();
    Map<Long, Lsn> upstreamThrough = new HashMap<>();
    Map<Long, String> names = new HashMap<>();
    Set<Long> locked = new HashSet<>();
    List<String> lockable = new ArrayList<>();
    Map<Long, String> fingerprints = new HashMap<>();
    Map<Long, Double> rows = new HashMap<>();
    Set<Long> buffers = new HashSet<>();
    Set<Long> views = new HashSet<>();
    Map<Long, String> identities = new HashMap<>();
    Set<Long> gone = new HashSet<>();
    while (rs.next()) {
      long oid = rs.getLong(1);
      String type = rs.getString(2);
      names.put(oid, rs.getString(3));
      if ("VIEW".equals(type)) {
        continue; // the tables behind it are dependencies of their own
      }
      locked.add(oid);
      if (rs.getString(8) != null) {
        lockable.add(rs.getString(8));
      }
      if ("STREAM_TABLE".equals(type)) {
        if (rs.getBoolean(14)) {
          gone.add(oid);
        }
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
      if (rs.getString(9) != null) {
        fingerprints.put(oid, rs.getString(9));
      }
      double estimate = rs.getDouble(10);
      if (!rs.wasNull() && estimate >= 0) {
        rows.put(oid, estimate);
      }
      if (rs.getBoolean(11)) {
        buffers.add(oid);
      }
      if (rs.getBoolean(12)) {
        views.add(oid);
      }
      String identity = replicaIdentity(rs.getString(13));
      if (identity != null) {
        identities.put(oid, identity);
      }
    }
    return new Sources(
        base,
        captured,
        capturedSince,
        upstream,
        upstreamThrough,
        names,
        new LockSet(locked, lockable),
        fingerprints,
        rows,
        buffers,
        views,
        identities,
        gone);
  }

  /**
   * The SQL spelling of {@code pg_class.relreplident}.
   *
   * @param relreplident {@code d}, {@code i}, {@code f}, {@code n}, or {@code null}
   * @return e.g. {@code DEFAULT}, or {@code null} for {@code null} or an unknown letter
   */
  static String replicaIdentity(String relreplident) {
    if (relreplident == null) {
      return null;
    }
    return switch (relreplident) {
      case "d" -> "DEFAULT";
      case "i" -> "USING INDEX";
      case "f" -> "FULL";
      case "n" -> "NOTHING";
      default -> null;
    };
  }

  private static Lsn min(Lsn a, Lsn b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  /**
   * The select-list items that make the rest of the transaction run as the storage table's owner
   * with the stream table's {@code search_path} (the one parameter: the pgt_id). The worker's role
   * must be a superuser or a member of the owner's role.
   */
  static final String OWNER_ROLE =
      "SELECT set_config('role', x.rolname, true), set_config('search_path',"
          + " coalesce(nullif(x.path, ''), current_setting('search_path')), true)"
          + " FROM (SELECT r.rolname, s.defining_search_path AS path"
          + " FROM pgtrickle.pgt_stream_tables s JOIN pg_class t ON t.oid = s.pgt_relid"
          + " JOIN pg_roles r ON r.oid = t.relowner WHERE s.pgt_id = ?) x";

  /** Back to the worker's own role (for the catalog writes). */
  static final String WORKER_ROLE = "SELECT set_config('role', 'none', true)";
}
