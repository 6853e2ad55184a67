package io.pgtrickle.operator.streams.db;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * Follows the pgtrickle catalog and the pipeline's replication slots from the database itself, not
 * from the programs' metrics: the database is the source of truth, it answers with no worker
 * running, and the catalog tables are the contract every component shares (CONTRACTS.md §1). Four
 * cheap queries per reconcile (every 10 s): the stream tables (count, worst freshness), those in
 * {@code ERROR}, the ingest's position, the slots.
 *
 * <p>Freshness lag is pg_trickle's staleness, {@code now() - data_timestamp}: how old the data a
 * stream table shows is. The HPA's lag metric (CDC lag p95) comes from the metrics adapter instead.
 */
public final class CatalogReader {

  static final String CATALOG_EXISTS =
      "SELECT to_regclass('pgtrickle.pgt_stream_tables') IS NOT NULL";

  static final String STREAM_TABLES =
      "SELECT count(*) OVER () AS n, pgt_schema || '.' || pgt_name AS name,"
          + " (extract(epoch FROM clock_timestamp() - data_timestamp) * 1000)::bigint AS lag_ms"
          + " FROM pgtrickle.pgt_stream_tables"
          + " ORDER BY data_timestamp IS NULL, data_timestamp ASC LIMIT 1";

  /** Stream tables in ERROR named in the status; the rest are counted. */
  public static final int ERRORS_SHOWN = 3;

  /** Characters of each one's {@code last_error_message} in the status. */
  public static final int ERROR_CHARS = 200;

  static final String ERRORS =
      "SELECT count(*) OVER () AS n, pgt_schema || '.' || pgt_name AS name,"
          + " left(coalesce(last_error_message, 'no message'), "
          + ERROR_CHARS
          + ") AS message"
          + " FROM pgtrickle.pgt_stream_tables WHERE status = 'ERROR'"
          + " ORDER BY pgt_schema, pgt_name LIMIT "
          + ERRORS_SHOWN;

  /** WAL the workers' ingest has not copied yet, over the captured sources. */
  static final String INGEST =
      "SELECT max(pg_wal_lsn_diff(pg_current_wal_lsn(), ingested_lsn))::bigint"
          + " FROM pgtrickle.pgt_change_tracking WHERE ingested_lsn IS NOT NULL";

  static final String SLOTS =
      "SELECT coalesce(array_agg(slot_name::text ORDER BY slot_name), '{}'),"
          + " max(pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn))::bigint"
          + " FROM pg_replication_slots WHERE starts_with(slot_name, ?)";

  private CatalogReader() {}

  /**
   * @param c a connection to the primary
   * @param slotPrefix the pipeline's slot prefix
   * @return the figures
   * @throws SQLException on a database error
   */
  public static CatalogObservation read(Connection c, String slotPrefix) throws SQLException {
    boolean installed;
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(CATALOG_EXISTS)) {
      rs.next();
      installed = rs.getBoolean(1);
    }
    int tables = 0;
    Long worstLag = null;
    String worst = null;
    int inError = 0;
    List<String> errors = new ArrayList<>();
    Long ingestLag = null;
    if (installed) {
      try (Statement s = c.createStatement();
          ResultSet rs = s.executeQuery(ERRORS)) {
        while (rs.next()) {
          inError = rs.getInt("n");
          errors.add(rs.getString("name") + ": " + rs.getString("message"));
        }
      }
      try (Statement s = c.createStatement();
          ResultSet rs = s.executeQuery(STREAM_TABLES)) {
        if (rs.next()) {
          tables = rs.getInt("n");
          long lag = rs.getLong("lag_ms");
          if (!rs.wasNull()) {
            worstLag = Math.max(0, lag);
            worst = rs.getString("name");
          }
        }
      }
      try (Statement s = c.createStatement();
          ResultSet rs = s.executeQuery(INGEST)) {
        rs.next();
        long lag = rs.getLong(1);
        ingestLag = rs.wasNull() ? null : Math.max(0, lag);
      }
    }
    List<String> slots;
    Long slotLag;
    try (PreparedStatement ps = c.prepareStatement(SLOTS)) {
      ps.setString(1, slotPrefix);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        slots = List.of((String[]) rs.getArray(1).getArray());
        long lag = rs.getLong(2);
        slotLag = rs.wasNull() ? null : Math.max(0, lag);
      }
    }
    return new CatalogObservation(
        installed, tables, worstLag, worst, slots, slotLag, inError, errors, ingestLag);
  }
}
