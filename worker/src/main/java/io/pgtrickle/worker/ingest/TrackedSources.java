package io.pgtrickle.worker.ingest;

import io.pgtrickle.changelog.Lsn;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The rows of {@code pgtrickle.pgt_change_tracking} (CONTRACTS.md §1, §2) and the replication
 * slots' confirmed positions, as the ingest reads and advances them.
 */
public final class TrackedSources {

  /**
   * One captured source.
   *
   * @param oid the source table's OID
   * @param slotName the slot of the cdc-consumer that captures it, or {@code null} if none yet
   * @param capturedSince the LSN from which every commit of the source is captured, or {@code null}
   * @param ingested the LSN below which every change of the source is in its buffer, or {@code
   *     null}
   */
  public record Source(long oid, String slotName, Lsn capturedSince, Lsn ingested) {}

  private TrackedSources() {}

  /**
   * Reads every tracked source.
   *
   * @param c any connection
   * @return the sources, by OID
   * @throws SQLException if the database fails
   */
  public static List<Source> read(Connection c) throws SQLException {
    List<Source> out = new ArrayList<>();
    try (Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT source_relid::oid::bigint, slot_name, captured_since_lsn::text,"
                    + " ingested_lsn::text FROM pgtrickle.pgt_change_tracking ORDER BY 1")) {
      while (rs.next()) {
        out.add(new Source(rs.getLong(1), rs.getString(2), lsn(rs, 3), lsn(rs, 4)));
      }
    }
    return out;
  }

  /**
   * The confirmed positions of replication slots. By the cdc-consumer's prompt confirmation
   * (CONTRACTS.md §2), every change committed below a slot's confirmed position is in the change
   * log.
   *
   * @param c any connection
   * @param slots slot names
   * @return confirmed_flush_lsn per slot that exists and has one
   * @throws SQLException if the database fails
   */
  public static Map<String, Lsn> confirmed(Connection c, Collection<String> slots)
      throws SQLException {
    Map<String, Lsn> out = new HashMap<>();
    if (slots.isEmpty()) {
      return out;
    }
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT slot_name::text, confirmed_flush_lsn::text FROM pg_replication_slots"
                + " WHERE slot_name = ANY(?) AND confirmed_flush_lsn IS NOT NULL")) {
      Array names = c.createArrayOf("text", new HashSet<>(slots).toArray());
      ps.setArray(1, names);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.put(rs.getString(1), Lsn.parse(rs.getString(2)));
        }
      }
    }
    return out;
  }

  /**
   * Advances {@code ingested_lsn} of sources, never backwards, only while the same slot still
   * captures each one and only past its {@code captured_since_lsn}.
   *
   * @param c a connection (inside the caller's fenced transaction)
   * @param advance per source: the slot and the new position
   * @return rows updated
   * @throws SQLException if the database fails
   */
  public static int advance(Connection c, Map<Long, Map.Entry<String, Lsn>> advance)
      throws SQLException {
    if (advance.isEmpty()) {
      return 0;
    }
    List<Long> oids = new ArrayList<>();
    List<String> slots = new ArrayList<>();
    List<String> lsns = new ArrayList<>();
    for (var e : advance.entrySet()) {
      oids.add(e.getKey());
      slots.add(e.getValue().getKey());
      lsns.add(e.getValue().getValue().walText());
    }
    try (PreparedStatement ps =
        c.prepareStatement(
            "UPDATE pgtrickle.pgt_change_tracking t SET ingested_lsn = u.lsn::pg_lsn"
                + " FROM unnest(?::bigint[], ?::text[], ?::text[]) AS u(oid, slot, lsn)"
                + " WHERE t.source_relid::oid::bigint = u.oid AND t.slot_name = u.slot"
                + " AND t.captured_since_lsn IS NOT NULL"
                + " AND t.captured_since_lsn <= u.lsn::pg_lsn"
                + " AND (t.ingested_lsn IS NULL OR t.ingested_lsn < u.lsn::pg_lsn)")) {
      ps.setArray(1, c.createArrayOf("bigint", oids.toArray()));
      ps.setArray(2, c.createArrayOf("text", slots.toArray()));
      ps.setArray(3, c.createArrayOf("text", lsns.toArray()));
      return ps.executeUpdate();
    }
  }

  /**
   * The bytea and bytea[] columns of sources, for {@link BufferRows}.
   *
   * @param c any connection
   * @param oids the sources
   * @return per source: [bytea columns, bytea[] columns]
   * @throws SQLException if the database fails
   */
  public static Map<Long, List<Set<String>>> byteaColumns(Connection c, Collection<Long> oids)
      throws SQLException {
    Map<Long, List<Set<String>>> out = new HashMap<>();
    for (long oid : oids) {
      out.put(oid, List.of(new HashSet<>(), new HashSet<>()));
    }
    if (oids.isEmpty()) {
      return out;
    }
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT attrelid::bigint, attname::text, atttypid = 'bytea'::regtype"
                + " FROM pg_attribute WHERE attrelid::bigint = ANY(?) AND attnum > 0"
                + " AND NOT attisdropped"
                + " AND atttypid IN ('bytea'::regtype, 'bytea[]'::regtype)")) {
      ps.setArray(1, c.createArrayOf("bigint", oids.toArray()));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.get(rs.getLong(1)).get(rs.getBoolean(3) ? 0 : 1).add(rs.getString(2));
        }
      }
    }
    return out;
  }

  private static Lsn lsn(ResultSet rs, int column) throws SQLException {
    String text = rs.getString(column);
    return text == null ? null : Lsn.parse(text);
  }
}
