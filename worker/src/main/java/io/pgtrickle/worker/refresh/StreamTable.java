package io.pgtrickle.worker.refresh;

import java.time.Instant;

/**
 * A row of {@code pgtrickle.pgt_stream_tables} as the runtime uses it.
 *
 * @param pgtId the stream table's id
 * @param relid the storage table's OID
 * @param schema its schema
 * @param name its name
 * @param definingQuery the query, as the front door stored it (names schema-qualified)
 * @param searchPath the search_path the query was resolved with, or {@code null}
 * @param schedule the schedule text, {@code null} for 'calculated'
 * @param refreshMode FULL or DIFFERENTIAL
 * @param requestedRefreshMode AUTO, FULL or DIFFERENTIAL
 * @param status INITIALIZING, ACTIVE, SUSPENDED or ERROR
 * @param populated whether a refresh has filled it
 * @param initialize whether it is populated without waiting for its schedule
 * @param dataTimestamp the snapshot time of its contents, or {@code null}
 * @param frontier the frontier JSON text, or {@code null}
 * @param consecutiveErrors failed refreshes in a row
 * @param needsReinit whether the storage must be rebuilt before the next refresh
 * @param updatedAt the row's last change (the catalog's {@code updated_at})
 * @param differentialBlocker what in the query prevents DIFFERENTIAL, or {@code null}
 * @param costModel AUTO's measurements shared by the workers (JSON), or {@code null}
 */
public record StreamTable(
    long pgtId,
    long relid,
    String schema,
    String name,
    String definingQuery,
    String searchPath,
    String schedule,
    String refreshMode,
    String requestedRefreshMode,
    String status,
    boolean populated,
    boolean initialize,
    Instant dataTimestamp,
    String frontier,
    int consecutiveErrors,
    boolean needsReinit,
    Instant updatedAt,
    String differentialBlocker,
    String costModel) {

  /**
   * Whether a refresh completed after the scheduler read this table's catalog row.
   *
   * @param seen the {@code data_timestamp} that read found, {@link Instant#EPOCH} for none
   * @return true when the row (read under the claim) has a later one: the table was refreshed in
   *     between and is not due on that read's account (a query replaced since, which clears it, is
   *     due anyway)
   */
  public boolean refreshedSince(Instant seen) {
    return dataTimestamp != null && dataTimestamp.isAfter(seen);
  }

  /** The columns to select, in the record's order, from {@code pgtrickle.pgt_stream_tables}. */
  public static final String COLUMNS =
      "pgt_id, pgt_relid::oid::bigint, pgt_schema, pgt_name, defining_query, defining_search_path,"
          + " schedule, refresh_mode, requested_refresh_mode, status, is_populated, initialize,"
          + " data_timestamp, frontier::text, consecutive_errors, needs_reinit, updated_at,"
          + " differential_blocker, cost_model::text";

  /**
   * The name for logs and metric labels.
   *
   * @return {@code schema.name}
   */
  public String displayName() {
    return schema + "." + name;
  }

  /**
   * Reads a row selected with {@link #COLUMNS}.
   *
   * @param rs the result, on the row
   * @return the stream table
   * @throws java.sql.SQLException if a column cannot be read
   */
  public static StreamTable read(java.sql.ResultSet rs) throws java.sql.SQLException {
    java.sql.Timestamp data = rs.getTimestamp(13);
    java.sql.Timestamp updated = rs.getTimestamp(17);
    return new StreamTable(
        rs.getLong(1),
        rs.getLong(2),
        rs.getString(3),
        rs.getString(4),
        rs.getString(5),
        rs.getString(6),
        rs.getString(7),
        rs.getString(8),
        rs.getString(9),
        rs.getString(10),
        rs.getBoolean(11),
        rs.getBoolean(12),
        data == null ? null : data.toInstant(),
        rs.getString(14),
        rs.getInt(15),
        rs.getBoolean(16),
        updated == null ? null : updated.toInstant(),
        rs.getString(18),
        rs.getString(19));
  }
}
