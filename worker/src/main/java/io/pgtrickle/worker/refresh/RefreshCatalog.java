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
   * @param names every source's name for messages
   */
  record Sources(
      List<Long> base,
      Set<Long> captured,
      Map<Long, Lsn> capturedSince,
      Map<Long, Lsn> upstream,
      Map<Long, String> names) {}

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

  static Sources sources(Connection c, long pgtId, Lsn l) throws SQLException {
    List<Long> base = new ArrayList<>();
    Set<Long> captured = new HashSet<>();
    Map<Long, Lsn> capturedSince = new HashMap<>();
    Map<Long, Lsn> upstream = new HashMap<>();
    Map<Long, String> names = new HashMap<>();
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT d.source_relid::oid::bigint, d.source_type, d.source_relid::text,"
                + " t.slot_name, t.captured_since_lsn::text,"
                + " (SELECT u.frontier ->> 'data_lsn' FROM pgtrickle.pgt_stream_tables u"
                + " WHERE u.pgt_relid = d.source_relid)"
                + " FROM pgtrickle.pgt_dependencies d"
                + " LEFT JOIN pgtrickle.pgt_change_tracking t ON t.source_relid = d.source_relid"
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
    return new Sources(base, captured, capturedSince, upstream, names);
  }

  /** A fingerprint of each source's columns (names and types, in order). */
  static Map<Long, String> fingerprints(Connection c, List<Long> oids) throws SQLException {
    Map<Long, String> out = new HashMap<>();
    if (oids.isEmpty()) {
      return out;
    }
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT attrelid::bigint, md5(string_agg(attname::text || ' '"
                + " || format_type(atttypid, atttypmod), ',' ORDER BY attnum))"
                + " FROM pg_attribute WHERE attrelid::bigint = ANY(?) AND attnum > 0"
                + " AND NOT attisdropped GROUP BY attrelid")) {
      ps.setArray(1, c.createArrayOf("bigint", oids.toArray()));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.put(rs.getLong(1), rs.getString(2));
        }
      }
    }
    return out;
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
