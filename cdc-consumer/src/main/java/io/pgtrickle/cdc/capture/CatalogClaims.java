package io.pgtrickle.cdc.capture;

import io.pgtrickle.cdc.config.SourceRefusedException;
import io.pgtrickle.changelog.Lsn;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * This consumer's rows of {@code pgtrickle.pgt_change_tracking}, the worker's catalog of the base
 * tables some stream table reads (CONTRACTS.md §1, §2): one row per table, {@code source_relid
 * regclass}, {@code slot_name} (the consumer that captures it), {@code captured_since_lsn} (from
 * where the change log holds every change of it). The worker installs the table; until then there
 * are simply no rows, and every method answers as for an empty table.
 *
 * <p>With {@code replicas} consumers, the one with ordinal {@code i} claims the unowned rows whose
 * table OID modulo {@code replicas} is {@code i}. A claim is kept until the row is deleted or the
 * consumer is decommissioned ({@link #release}).
 */
final class CatalogClaims {

  static final String TABLE = "pgtrickle.pgt_change_tracking";

  private final String slot;
  private final int ordinal;
  private final int replicas;

  CatalogClaims(String slot, int ordinal, int replicas) {
    this.slot = slot;
    this.ordinal = ordinal;
    this.replicas = replicas;
  }

  /**
   * Whether the catalog table exists.
   *
   * @param c a connection
   * @return {@code true} once the worker installed it
   * @throws SQLException on a database error
   */
  static boolean installed(Connection c) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
      ps.setString(1, TABLE);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() && rs.getBoolean(1);
      }
    }
  }

  /**
   * Claims the unowned rows that are this consumer's by ordinal, then lists every row it owns.
   *
   * @param c an auto-commit connection
   * @return table OID to its {@code captured_since_lsn} (empty while not captured yet), in no
   *     particular order; {@code null} if the catalog is not installed
   * @throws SourceRefusedException if the user may not read or update the catalog table
   * @throws SQLException on a database error
   */
  Map<Long, Optional<Lsn>> claimAndList(Connection c) throws SQLException {
    try {
      return claimAndListOrFail(c);
    } catch (SQLException e) {
      throw SourceRefusedException.onCatalog(e, c.getMetaData().getUserName(), TABLE);
    }
  }

  private Map<Long, Optional<Lsn>> claimAndListOrFail(Connection c) throws SQLException {
    if (!installed(c)) {
      return null;
    }
    try (PreparedStatement ps =
        c.prepareStatement(
            inLockOrder(
                "slot_name IS NULL AND source_relid::oid::bigint % ? = ?", "slot_name = ?"))) {
      ps.setLong(1, replicas);
      ps.setLong(2, ordinal);
      ps.setString(3, slot);
      ps.executeUpdate();
    }
    Map<Long, Optional<Lsn>> out = new LinkedHashMap<>();
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT source_relid::oid::bigint, captured_since_lsn::text FROM "
                + TABLE
                + " WHERE slot_name = ?")) {
      ps.setString(1, slot);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          String lsn = rs.getString(2);
          out.put(rs.getLong(1), Optional.ofNullable(lsn).map(Lsn::parse));
        }
      }
    }
    return out;
  }

  /**
   * Records that every change of the table committing from now on is captured: {@code
   * captured_since_lsn = pg_current_wal_insert_lsn()}.
   *
   * @param c an auto-commit connection
   * @param oid the table's OID
   * @return the position written, or empty if the row is gone or no longer this consumer's
   * @throws SQLException on a database error
   */
  Optional<Lsn> markCaptured(Connection c, long oid) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "UPDATE "
                + TABLE
                + " SET captured_since_lsn = pg_current_wal_insert_lsn()"
                + " WHERE source_relid::oid = ?::bigint::oid AND slot_name = ?"
                + " RETURNING captured_since_lsn::text")) {
      ps.setLong(1, oid);
      ps.setString(2, slot);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(Lsn.parse(rs.getString(1))) : Optional.empty();
      }
    }
  }

  /**
   * Gives up every row this consumer owns (decommission): another consumer claims them, and
   * captures them from its own {@code captured_since_lsn}.
   *
   * @param c an auto-commit connection
   * @return how many rows were released
   * @throws SQLException on a database error
   */
  int release(Connection c) throws SQLException {
    if (!installed(c)) {
      return 0;
    }
    try (PreparedStatement ps =
        c.prepareStatement(
            inLockOrder("slot_name = ?", "slot_name = NULL, captured_since_lsn = NULL"))) {
      ps.setString(1, slot);
      return ps.executeUpdate();
    }
  }

  /**
   * An UPDATE of the rows matching {@code where} that locks them in {@code source_relid} order
   * first, as the worker takes them (its ingest advancing {@code ingested_lsn}, {@code
   * pgtrickle._track_sources} of a stream table created or altered). A plain multi-row UPDATE locks
   * in scan order, and two transactions taking the same rows in different orders deadlock:
   * PostgreSQL aborts one of them after {@code deadlock_timeout}. A row another transaction changed
   * while this one waited is checked against {@code where} again (READ COMMITTED).
   *
   * @param where the rows' condition, with the statement's first parameters
   * @param set the assignments, with the parameters after those of {@code where}
   */
  static String inLockOrder(String where, String set) {
    return "WITH l AS MATERIALIZED (SELECT source_relid FROM "
        + TABLE
        + " WHERE "
        + where
        + " ORDER BY source_relid FOR UPDATE)"
        + " UPDATE "
        + TABLE
        + " t SET "
        + set
        + " FROM l WHERE t.source_relid = l.source_relid";
  }
}
