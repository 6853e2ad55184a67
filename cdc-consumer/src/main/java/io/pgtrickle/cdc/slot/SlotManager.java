package io.pgtrickle.cdc.slot;

import io.pgtrickle.changelog.Lsn;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashSet;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The publication and the replication slot of one consumer, on a plain connection.
 *
 * <p>The slot is created when missing and otherwise kept: it holds the confirmed position across
 * restarts. It is dropped only by {@link #dropSlot}, the {@code decommission} command, because
 * dropping it loses the position and lets PostgreSQL recycle WAL the consumer has not read.
 *
 * <p>On PostgreSQL 17 and later the slot is created with {@code failover = true}, so a standby with
 * {@code sync_replication_slots = on} keeps a synchronized copy and the slot survives a failover.
 * Older majors have no failover slots: configure the slot as a Patroni permanent slot, or a
 * failover loses it; the consumer then creates it anew at the new primary's position and reports
 * that changes since its last confirmation may be missing.
 */
public final class SlotManager {

  private static final Logger LOG = LoggerFactory.getLogger(SlotManager.class);

  private final String slot;
  private final String publication;
  private final List<String> tables;
  private final boolean failover;

  /**
   * Creates the manager.
   *
   * @param slot the slot name
   * @param publication the publication name
   * @param tables the tables to publish, {@code schema.table}
   * @param failover whether to ask for a failover slot where the server supports it
   */
  public SlotManager(String slot, String publication, List<String> tables, boolean failover) {
    this.slot = slot;
    this.publication = publication;
    this.tables = tables;
    this.failover = failover;
  }

  /**
   * Creates the publication if missing, and adds any configured table it lacks.
   *
   * @param c a plain connection
   * @throws SQLException if a table does not exist or the user may not publish it
   */
  public void ensurePublication(Connection c) throws SQLException {
    Set<String> published = new HashSet<>();
    boolean exists = false;
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT p.pubname, t.schemaname || '.' || t.tablename FROM pg_publication p"
                + " LEFT JOIN pg_publication_tables t ON t.pubname = p.pubname"
                + " WHERE p.pubname = ?")) {
      ps.setString(1, publication);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          exists = true;
          if (rs.getString(2) != null) {
            published.add(rs.getString(2));
          }
        }
      }
    }
    try (Statement s = c.createStatement()) {
      if (!exists) {
        s.execute("CREATE PUBLICATION " + publication + " FOR TABLE " + String.join(", ", tables));
        LOG.info("created publication {} for {}", publication, tables);
        return;
      }
      for (String table : tables) {
        if (!published.contains(table.toLowerCase(java.util.Locale.ROOT))) {
          s.execute("ALTER PUBLICATION " + publication + " ADD TABLE " + table);
          LOG.info("added {} to publication {}", table, publication);
        }
      }
    }
  }

  /**
   * Creates the slot if it does not exist.
   *
   * @param c a plain connection
   * @return {@code true} if the slot was created now, {@code false} if it existed
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
      throw e;
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
   * Bytes of WAL between the server's current position and the slot's confirmed position.
   *
   * @param c a plain connection to the primary
   * @return the lag, or empty if the slot does not exist
   * @throws SQLException on a database error
   */
  public OptionalLong lagBytes(Connection c) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::bigint"
                + " FROM pg_replication_slots WHERE slot_name = ?")) {
      ps.setString(1, slot);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? OptionalLong.of(Math.max(0, rs.getLong(1))) : OptionalLong.empty();
      }
    }
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
