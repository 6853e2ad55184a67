package io.pgtrickle.worker.ingest;

import io.pgtrickle.changelog.Lsn;
import io.pgtrickle.worker.db.RoundTrip;
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
   * The tracked sources and their slots' confirmed positions, as of one statement ({@link
   * #SQL_WITH_CONFIRMED}).
   *
   * @param sources every tracked source, by OID
   * @param confirmed per source whose slot exists and has one, the slot's {@code
   *     confirmed_flush_lsn}
   */
  record WithConfirmed(List<Source> sources, Map<Long, Lsn> confirmed) {}

  /**
   * Every tracked source and its slot's {@code confirmed_flush_lsn} (NULL without one), in one
   * statement; read with {@link #withConfirmed}.
   */
  static final String SQL_WITH_CONFIRMED =
      "SELECT t.source_relid::oid::bigint, t.slot_name, t.captured_since_lsn::text,"
          + " t.ingested_lsn::text, s.confirmed_flush_lsn::text"
          + " FROM pgtrickle.pgt_change_tracking t"
          + " LEFT JOIN pg_replication_slots s ON s.slot_name = t.slot_name ORDER BY 1";

  /**
   * Reads the result of {@link #SQL_WITH_CONFIRMED}.
   *
   * @param rs its rows
   * @return the sources and the confirmed positions
   * @throws SQLException if the driver fails
   */
  static WithConfirmed withConfirmed(ResultSet rs) throws SQLException {
    List<Source> sources = new ArrayList<>();
    Map<Long, Lsn> confirmed = new HashMap<>();
    while (rs.next()) {
      Source s = new Source(rs.getLong(1), rs.getString(2), lsn(rs, 3), lsn(rs, 4));
      sources.add(s);
      Lsn c = lsn(rs, 5);
      if (s.slotName() != null && c != null) {
        confirmed.put(s.oid(), c);
      }
    }
    return new WithConfirmed(sources, confirmed);
  }

  /**
   * Whether the slots of the given sources have all confirmed a position: the cheap check the
   * ingest polls while a refresh waits for the CDC.
   *
   * @param c any connection
   * @param oids the sources
   * @param lsn the position
   * @return true if every one of them has a slot whose {@code confirmed_flush_lsn} is at or past
   *     {@code lsn}
   * @throws SQLException if the database fails
   */
  static boolean confirmed(Connection c, Collection<Long> oids, Lsn lsn) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT coalesce(bool_and(coalesce(s.confirmed_flush_lsn >= ?::pg_lsn, false)), false)"
                + " FROM pgtrickle.pgt_change_tracking t"
                + " LEFT JOIN pg_replication_slots s ON s.slot_name = t.slot_name"
                + " WHERE t.source_relid::oid::bigint = ANY(?::bigint[])")) {
      ps.setString(1, lsn.walText());
      ps.setString(2, oidArray(oids));
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() && rs.getBoolean(1);
      }
    }
  }

  /**
   * Adds to a round trip the statement that advances {@code ingested_lsn} of sources, never
   * backwards, only while the same slot still captures each one and only past its {@code
   * captured_since_lsn}.
   *
   * @param trip the round trip, run inside the caller's fenced transaction
   * @param advance per source: the slot and the new position (not empty)
   * @return the index of its result, an update count
   */
  static int advance(RoundTrip trip, Map<Long, Map.Entry<String, Lsn>> advance) {
    List<Long> oids = new ArrayList<>();
    List<String> slots = new ArrayList<>();
    List<String> lsns = new ArrayList<>();
    for (var e : advance.entrySet()) {
      oids.add(e.getKey());
      slots.add(e.getValue().getKey());
      lsns.add(e.getValue().getValue().walText());
    }
    // The rows are locked in source_relid order first, as pgtrickle._track_sources (a stream
    // table created or altered) and the consumers' claims take them: updated in the join's
    // order, they deadlocked with a create over two of the same sources (a WARN and a retry).
    return trip.add(
        "WITH l AS MATERIALIZED (SELECT t.source_relid FROM pgtrickle.pgt_change_tracking t"
            + " WHERE t.source_relid::oid::bigint = ANY (?::bigint[])"
            + " ORDER BY t.source_relid FOR UPDATE)"
            + " UPDATE pgtrickle.pgt_change_tracking t SET ingested_lsn = u.lsn::pg_lsn"
            + " FROM unnest(?::bigint[], ?::text[], ?::text[]) AS u(oid, slot, lsn), l"
            + " WHERE l.source_relid = t.source_relid"
            + " AND t.source_relid::oid::bigint = u.oid AND t.slot_name = u.slot"
            + " AND t.captured_since_lsn IS NOT NULL"
            + " AND t.captured_since_lsn <= u.lsn::pg_lsn"
            + " AND (t.ingested_lsn IS NULL OR t.ingested_lsn < u.lsn::pg_lsn)",
        oidArray(oids),
        oidArray(oids),
        textArray(slots),
        textArray(lsns));
  }

  /** Strings as the text of a {@code text[]}, each element quoted. */
  private static String textArray(List<String> values) {
    StringBuilder b = new StringBuilder("{");
    for (String v : values) {
      if (b.length() > 1) {
        b.append(',');
      }
      b.append('"').append(v.replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
    }
    return b.append('}').toString();
  }

  /**
   * The bytea and bytea[] columns of sources, for {@link BufferRows}, for a round trip; its one
   * parameter is {@link #oidArray}; read with {@link #byteaColumns(ResultSet, Collection)}.
   */
  static final String SQL_BYTEA_COLUMNS =
      "SELECT attrelid::bigint, attname::text, atttypid = 'bytea'::regtype"
          + " FROM pg_attribute WHERE attrelid::bigint = ANY(?::bigint[]) AND attnum > 0"
          + " AND NOT attisdropped"
          + " AND atttypid IN ('bytea'::regtype, 'bytea[]'::regtype)";

  /**
   * Source OIDs as the text of a {@code bigint[]}.
   *
   * @param oids the OIDs
   * @return e.g. {@code {16384,16390}}
   */
  static String oidArray(Collection<Long> oids) {
    StringBuilder b = new StringBuilder("{");
    for (long oid : oids) {
      if (b.length() > 1) {
        b.append(',');
      }
      b.append(oid);
    }
    return b.append('}').toString();
  }

  /**
   * Reads the result of {@link #SQL_BYTEA_COLUMNS}.
   *
   * @param rs its rows, or {@code null} for none
   * @param oids the sources asked for
   * @return per source: [bytea columns, bytea[] columns]
   * @throws SQLException if the driver fails
   */
  static Map<Long, List<Set<String>>> byteaColumns(ResultSet rs, Collection<Long> oids)
      throws SQLException {
    Map<Long, List<Set<String>>> out = new HashMap<>();
    for (long oid : oids) {
      out.put(oid, List.of(new HashSet<>(), new HashSet<>()));
    }
    while (rs != null && rs.next()) {
      out.get(rs.getLong(1)).get(rs.getBoolean(3) ? 0 : 1).add(rs.getString(2));
    }
    return out;
  }

  private static Lsn lsn(ResultSet rs, int column) throws SQLException {
    String text = rs.getString(column);
    return text == null ? null : Lsn.parse(text);
  }
}
