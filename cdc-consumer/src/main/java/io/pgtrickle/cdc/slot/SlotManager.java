package io.pgtrickle.cdc.slot;

import io.pgtrickle.cdc.config.SourceRefusedException;
import io.pgtrickle.changelog.Lsn;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The replication slot of one consumer, on a plain connection.
 *
 * <p>The slot is created when missing and otherwise kept: it holds the confirmed position across
 * restarts. It is dropped only by {@link #dropSlot}, the {@code decommission} command, because
 * dropping it loses the position and lets PostgreSQL recycle WAL the consumer has not read.
 *
 * <p>On PostgreSQL 17 and later the slot is created with {@code failover = true}, so a standby with
 * {@code sync_replication_slots = on} keeps a synchronized copy and the slot survives a failover.
 * Older majors have no failover slots: configure the slot as a Patroni permanent slot, or a
 * failover loses it; the consumer then creates it anew at the new primary's position and records a
 * gap in the change log.
 *
 * <p>A slot PostgreSQL invalidated ({@link SlotStatus#lost()}: its WAL was removed past {@code
 * max_slot_wal_keep_size}, or a conflict on a standby) can never stream again; the consumer stops
 * and says so instead of retrying.
 */
public final class SlotManager {

  private static final Logger LOG = LoggerFactory.getLogger(SlotManager.class);

  private final String slot;
  private final boolean failover;

  /**
   * Creates the manager.
   *
   * @param slot the slot name
   * @param failover whether to ask for a failover slot where the server supports it
   */
  public SlotManager(String slot, boolean failover) {
    this.slot = slot;
    this.failover = failover;
  }

  /**
   * The slot's state as the server reports it now, with the server's WAL position and what the
   * walsender streaming from it has sent.
   *
   * @param c a plain connection to the primary
   * @return the status ({@link SlotStatus#exists()} false if there is no such slot)
   * @throws SQLException on a database error
   */
  public SlotStatus status(Connection c) throws SQLException {
    // to_jsonb reads the columns a major has without naming the ones it lacks: wal_status (13+),
    // conflicting (16+), invalidation_reason (17+).
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT pg_current_wal_lsn()::text, s.plugin, s.confirmed_flush_lsn::text,"
                + " s.active_pid,"
                + " (SELECT r.sent_lsn::text FROM pg_stat_replication r WHERE r.pid = s.active_pid),"
                + " to_jsonb(s)->>'wal_status', to_jsonb(s)->>'invalidation_reason',"
                + " to_jsonb(s)->>'conflicting'"
                + " FROM (SELECT 1) AS one LEFT JOIN pg_replication_slots s ON s.slot_name = ?")) {
      ps.setString(1, slot);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        Lsn server = Lsn.parse(rs.getString(1));
        if (rs.getString(2) == null) {
          return SlotStatus.missing(server);
        }
        String confirmed = rs.getString(3);
        int pid = rs.getInt(4);
        String sent = rs.getString(5);
        return new SlotStatus(
            true,
            rs.getString(2),
            server,
            confirmed == null ? null : Lsn.parse(confirmed),
            pid,
            sent == null ? null : Lsn.parse(sent),
            rs.getString(6),
            rs.getString(7),
            "true".equals(rs.getString(8)));
      }
    }
  }

  /**
   * Creates the slot if it does not exist.
   *
   * @param c a plain connection
   * @return {@code true} if the slot was created now, {@code false} if it existed
   * @throws SourceRefusedException if the user lacks {@code REPLICATION}
   * @throws SQLException if the slot exists with another plugin, or cannot be created
   */
  public boolean ensureSlot(Connection c) throws SQLException {
    String plugin = pluginOf(c);
    if (plugin != null) {
      if (!"pgoutput".equals(plugin)) {
        throw new SQLException(
            "replication slot " + slot + " exists with plugin " + plugin + ", not pgoutput");
      }
      return false;
    }
    boolean withFailover = failover && serverVersion(c) >= 170000;
    String sql =
        withFailover
            ? "SELECT lsn::text FROM pg_create_logical_replication_slot(?, 'pgoutput', false, false, true)"
            : "SELECT lsn::text FROM pg_create_logical_replication_slot(?, 'pgoutput')";
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, slot);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        LOG.info(
            "created replication slot {} at {} (failover: {})",
            slot,
            rs.getString(1),
            withFailover);
      }
      return true;
    } catch (SQLException e) {
      if ("42710".equals(e.getSQLState())) {
        return false; // another process created it just now
      }
      throw SourceRefusedException.onReplicationSlot(e, c.getMetaData().getUserName());
    }
  }

  /**
   * Whether the slot exists.
   *
   * @param c a plain connection
   * @return {@code true} if it exists
   * @throws SQLException on a database error
   */
  public boolean slotExists(Connection c) throws SQLException {
    return pluginOf(c) != null;
  }

  /**
   * Drops the slot, ending a consumer still attached to it first.
   *
   * @param c a plain connection
   * @return {@code true} if a slot was dropped
   * @throws SQLException on a database error
   */
  public boolean dropSlot(Connection c) throws SQLException {
    for (int attempt = 0; attempt < 10; attempt++) {
      if (!slotExists(c)) {
        return attempt > 0;
      }
      try (PreparedStatement ps =
          c.prepareStatement(
              "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots"
                  + " WHERE slot_name = ? AND active_pid IS NOT NULL")) {
        ps.setString(1, slot);
        ps.execute();
      }
      try (PreparedStatement ps = c.prepareStatement("SELECT pg_drop_replication_slot(?)")) {
        ps.setString(1, slot);
        ps.execute();
        LOG.info("dropped replication slot {}", slot);
        return true;
      } catch (SQLException e) {
        if (!"55006".equals(e.getSQLState())) { // object_in_use: the walsender is still exiting
          throw e;
        }
        sleep(200);
      }
    }
    throw new SQLException("replication slot " + slot + " stays in use; stop its consumer first");
  }

  /**
   * The slot's confirmed flush position.
   *
   * @param c a plain connection
   * @return the position, or {@code null} if the slot does not exist or has none yet
   * @throws SQLException on a database error
   */
  public Lsn confirmedFlush(Connection c) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = ?")) {
      ps.setString(1, slot);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() && rs.getString(1) != null ? Lsn.parse(rs.getString(1)) : null;
      }
    }
  }

  private String pluginOf(Connection c) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("SELECT plugin FROM pg_replication_slots WHERE slot_name = ?")) {
      ps.setString(1, slot);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rs.getString(1) : null;
      }
    }
  }

  private static int serverVersion(Connection c) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SHOW server_version_num")) {
      rs.next();
      return Integer.parseInt(rs.getString(1));
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
