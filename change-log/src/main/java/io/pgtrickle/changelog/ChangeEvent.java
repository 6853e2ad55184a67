package io.pgtrickle.changelog;

import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One row change captured from PostgreSQL, in the format shared by every backend (JSON field names
 * in parentheses):
 *
 * <pre>{@code
 * {"source_oid": 16384, "lsn": "0/1A3B4C0", "xid": 12345, "action": "INSERT",
 *  "columns": {"id": 1, "name": "Alice", "amount": 100.00}, "old_columns": null,
 *  "timestamp": "2026-05-30T12:00:00Z"}
 * }</pre>
 *
 * <p>Column values keep full precision: JSON integers are {@link Long} (or {@link
 * java.math.BigInteger} past 64 bits), JSON fractions are {@link java.math.BigDecimal} with their
 * scale, text is {@link String}, booleans {@link Boolean}, SQL NULL is {@code null}, and nested
 * JSON is {@link Map} / {@link java.util.List}. {@link ChangeEventCodec} reads and writes them.
 *
 * @param sourceOid the source table's OID ({@code source_oid}), 0 to 4294967295
 * @param lsn the position of the change: the commit LSN ({@code lsn}) and, when a transaction
 *     changed several rows, the change's index in it ({@code seq}, omitted when 0); unique and
 *     increasing per source, see {@link Lsn}
 * @param xid the transaction id ({@code xid}), not negative
 * @param action the kind of change ({@code action})
 * @param columns the new row for INSERT and UPDATE ({@code columns}), else {@code null}
 * @param oldColumns the old key or row for UPDATE and DELETE ({@code old_columns}), or {@code null}
 * @param timestamp the commit time ({@code timestamp})
 * @param jsonText json and jsonb values, arrays of them and values of types outside the built-in
 *     set (domains, enums...) are their text as PostgreSQL prints it ({@code json_text}, written
 *     only when true). Set by the cdc-consumer since 2026-12-07 on events of tables with such a
 *     column; in older events json and jsonb are parsed JSON, where a JSON {@code null} and SQL
 *     NULL are both {@code null} and json loses its whitespace, key order and duplicate keys
 * @param oldKeyOnly the UPDATE's or DELETE's {@code old_columns} hold only the source's replica
 *     identity key, not the whole old row ({@code old_key_only}, written only when true): the
 *     source's REPLICA IDENTITY is DEFAULT or USING INDEX, not FULL. Set by the cdc-consumer since
 *     2026-12-07; older events do not say, and their old images are key-only under the same
 *     conditions. A reader that needs the old row (to retract it from something derived) cannot use
 *     such an event and must recompute from the source
 */
public record ChangeEvent(
    long sourceOid,
    Lsn lsn,
    long xid,
    ChangeAction action,
    Map<String, Object> columns,
    Map<String, Object> oldColumns,
    Instant timestamp,
    boolean jsonText,
    boolean oldKeyOnly) {

  /** The largest OID PostgreSQL hands out: OIDs are unsigned 32-bit numbers. */
  public static final long MAX_OID = 0xFFFF_FFFFL;

  /**
   * Validates the event and takes unmodifiable copies of the column maps.
   *
   * @throws MalformedEventException if a field is missing or out of range, or the columns do not
   *     fit the action
   */
  public ChangeEvent {
    checkOid(sourceOid);
    if (lsn == null) {
      throw new MalformedEventException("change event field 'lsn' is missing");
    }
    if (xid < 0) {
      throw new MalformedEventException("change event field 'xid' is negative: " + xid);
    }
    if (action == null) {
      throw new MalformedEventException("change event field 'action' is missing");
    }
    if (timestamp == null) {
      throw new MalformedEventException("change event field 'timestamp' is missing");
    }
    columns = copy(columns);
    oldColumns = copy(oldColumns);
    switch (action) {
      case INSERT, UPDATE -> require(columns != null, action, "'columns'");
      case DELETE -> require(oldColumns != null, action, "'old_columns'");
      case TRUNCATE, GAP ->
          require(columns == null && oldColumns == null, action, "no 'columns' or 'old_columns'");
    }
    if (oldKeyOnly && action != ChangeAction.UPDATE && action != ChangeAction.DELETE) {
      throw new MalformedEventException(
          "change event field 'old_key_only' is set on a " + action + " (only UPDATE and DELETE)");
    }
  }

  /**
   * Checks that {@code sourceOid} is a valid PostgreSQL OID.
   *
   * @param sourceOid the value to check
   * @return the same value
   * @throws MalformedEventException if it is negative or above {@link #MAX_OID}
   */
  public static long checkOid(long sourceOid) {
    if (sourceOid < 0 || sourceOid > MAX_OID) {
      throw new MalformedEventException(
          "source_oid " + sourceOid + " is not an OID (0 to " + MAX_OID + ")");
    }
    return sourceOid;
  }

  /**
   * An event whose old image, if any, is the whole old row (not {@link #oldKeyOnly}).
   *
   * @param sourceOid the source table's OID
   * @param lsn the position of the change
   * @param xid the transaction id
   * @param action the kind of change
   * @param columns the new row, or {@code null}
   * @param oldColumns the old row, or {@code null}
   * @param timestamp the commit time
   * @param jsonText see {@link #jsonText}
   */
  public ChangeEvent(
      long sourceOid,
      Lsn lsn,
      long xid,
      ChangeAction action,
      Map<String, Object> columns,
      Map<String, Object> oldColumns,
      Instant timestamp,
      boolean jsonText) {
    this(sourceOid, lsn, xid, action, columns, oldColumns, timestamp, jsonText, false);
  }

  /**
   * An event without {@link #jsonText}: json and jsonb columns, if any, are parsed JSON.
   *
   * @param sourceOid the source table's OID
   * @param lsn the position of the change
   * @param xid the transaction id
   * @param action the kind of change
   * @param columns the new row, or {@code null}
   * @param oldColumns the old key or row, or {@code null}
   * @param timestamp the commit time
   */
  public ChangeEvent(
      long sourceOid,
      Lsn lsn,
      long xid,
      ChangeAction action,
      Map<String, Object> columns,
      Map<String, Object> oldColumns,
      Instant timestamp) {
    this(sourceOid, lsn, xid, action, columns, oldColumns, timestamp, false, false);
  }

  private static void require(boolean ok, ChangeAction action, String what) {
    if (!ok) {
      throw new MalformedEventException("a " + action + " change event needs " + what);
    }
  }

  private static Map<String, Object> copy(Map<String, Object> map) {
    // LinkedHashMap, not Map.copyOf: SQL NULL columns are null values, and column order matters
    // to a reader of the JSON.
    return map == null ? null : Collections.unmodifiableMap(new LinkedHashMap<>(map));
  }

  /**
   * Creates a GAP marker: changes of {@code sourceOid} before {@code lsn} may be missing.
   *
   * @param sourceOid the source table's OID
   * @param lsn the first position after the gap
   * @param xid the transaction that recorded the gap, or 0 if none did
   * @param timestamp when the gap was recorded
   * @return the event
   */
  public static ChangeEvent gap(long sourceOid, Lsn lsn, long xid, Instant timestamp) {
    return new ChangeEvent(sourceOid, lsn, xid, ChangeAction.GAP, null, null, timestamp);
  }

  /**
   * Creates an INSERT event.
   *
   * @param sourceOid the source table's OID
   * @param lsn the commit LSN
   * @param xid the transaction id
   * @param columns the new row
   * @param timestamp the commit time
   * @return the event
   */
  public static ChangeEvent insert(
      long sourceOid, Lsn lsn, long xid, Map<String, Object> columns, Instant timestamp) {
    return new ChangeEvent(sourceOid, lsn, xid, ChangeAction.INSERT, columns, null, timestamp);
  }

  @Override
  public String toString() {
    return "ChangeEvent{source_oid="
        + sourceOid
        + ", lsn="
        + lsn
        + ", xid="
        + xid
        + ", action="
        + action
        + ", timestamp="
        + timestamp
        + (jsonText ? ", json_text=true" : "")
        + (oldKeyOnly ? ", old_key_only=true" : "")
        + "}";
  }
}
