package io.pgtrickle.cdc.slot;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drops the copy of the consumer's slot that a former primary keeps after it rejoined as a standby
 * (PostgreSQL 17 and later, failover slots).
 *
 * <p>Why: the slot was created on the member that was primary then. After a failover that member
 * comes back as a standby (pg_rewind keeps {@code pg_replslot}) with its own copy, marked not
 * {@code synced}. The standby's slot sync worker refuses to replace a slot it did not create
 * ("exiting from slot synchronization because same name slot ... already exists on the standby"),
 * so the copy stays at the old position: it pins WAL on that member, its catalog xmin holds back
 * catalog vacuum on the primary through {@code hot_standby_feedback}, and a failover to that member
 * resumes from far back. Patroni leaves failover slots alone, and the slot is the consumer's, so
 * the consumer drops the copy; the standby's slot sync worker then keeps a synchronized one, and
 * the member is a safe failover target again.
 *
 * <p>When: a member rejoins by opening a new replication connection to the primary. So each round
 * reads the primary's physical walsenders ({@code pg_stat_replication}); for {@link #CHECK_WINDOW}
 * after they change (and after the consumer starts) every round checks every member. The window
 * outlasts DNS caches, which may still hide a recreated pod's new address for 30 s.
 *
 * <p>Where: the members are the addresses {@code members} resolves to (the source cluster's
 * headless Service, {@code NAME-pods}, which lists every pod, ready or not), plus each standby's
 * client address in {@code pg_stat_replication} (needs {@code pg_read_all_stats}), both at the
 * primary's port. A client address of 127.0.0.1 or ::1 (same host, or a sidecar proxy) says nothing
 * about where a standby listens and is skipped. On each member one statement drops the copy only if
 * it is not synchronized, not in use and the server is in recovery: the primary, or a member
 * promoted meanwhile, keeps its slot.
 */
public final class StaleSlotCopies {

  private static final Logger LOG = LoggerFactory.getLogger(StaleSlotCopies.class);

  /** How long after the standbys change every member is checked, each round. */
  static final Duration CHECK_WINDOW = Duration.ofSeconds(60);

  /** Opens a plain connection to one server by address. */
  @FunctionalInterface
  public interface ServerConnector {
    /**
     * Connects.
     *
     * @param host the server's address
     * @param port its port
     * @return an open connection
     * @throws SQLException if the server cannot be reached or refuses
     */
    Connection connect(String host, int port) throws SQLException;
  }

  /** The addresses of the source cluster's members. */
  @FunctionalInterface
  public interface Members {
    /**
     * Resolves the members now.
     *
     * @return their addresses; empty if none are configured
     * @throws UnknownHostException if the name does not resolve
     */
    List<String> addresses() throws UnknownHostException;

    /**
     * The members a DNS name resolves to, looked up on each call.
     *
     * @param name the name, or "" for none
     * @return the lookup
     */
    static Members resolving(String name) {
      return () -> {
        if (name.isEmpty()) {
          return List.of();
        }
        List<String> out = new ArrayList<>();
        for (InetAddress a : InetAddress.getAllByName(name)) {
          out.add(a.getHostAddress());
        }
        return out;
      };
    }
  }

  static final String STANDBYS_SQL =
      "SELECT r.pid, r.backend_start::text, host(r.client_addr)"
          + " FROM pg_stat_replication r JOIN pg_stat_activity a ON a.pid = r.pid"
          + " WHERE a.datname IS NULL"; // physical walsenders only

  /** Returns whether the server is a standby and how many copies it dropped (0 or 1). */
  static final String DROP_STALE_COPY_SQL =
      "WITH dropped AS (SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
          + " WHERE slot_name = ? AND NOT synced AND NOT active AND pg_is_in_recovery())"
          + " SELECT pg_is_in_recovery(), (SELECT count(*) FROM dropped)";

  private final String slot;
  private final ServerConnector connector;
  private final Members members;
  private final CheckWindow window = new CheckWindow(CHECK_WINDOW);
  private boolean toldAboutHiddenAddresses;

  /**
   * Creates the cleaner.
   *
   * @param slot the consumer's slot name
   * @param connector opens a connection to a member by address
   * @param members the source cluster's members
   */
  public StaleSlotCopies(String slot, ServerConnector connector, Members members) {
    this.slot = slot;
    this.connector = connector;
    this.members = members;
  }

  /**
   * One round: if the primary's standbys changed within {@link #CHECK_WINDOW}, checks every member
   * and drops a stale copy of the slot where one is.
   *
   * @param primary a plain connection to the primary
   * @return how many stale copies were dropped
   * @throws SQLException if the primary cannot be asked; a member that cannot be reached is only
   *     logged and checked again next round
   */
  public int dropOnStandbys(Connection primary) throws SQLException {
    int port = portIfFailoverSlots(primary);
    if (port == 0) {
      return 0;
    }
    Set<String> walsenders = new HashSet<>();
    Set<String> clientAddresses = new LinkedHashSet<>();
    readStandbys(primary, walsenders, clientAddresses);
    if (!window.check(walsenders, Instant.now())) {
      return 0;
    }
    Set<String> candidates = new LinkedHashSet<>();
    try {
      candidates.addAll(members.addresses());
    } catch (UnknownHostException e) {
      LOG.debug("source members not resolved this round: {}", e.getMessage());
    }
    candidates.addAll(clientAddresses);
    int dropped = 0;
    for (String host : candidates) {
      dropped += check(host, port);
    }
    return dropped;
  }

  /** Drops a stale copy on one member; how many it dropped (0 if none or unreachable). */
  private int check(String host, int port) {
    try (Connection c = connector.connect(host, port);
        PreparedStatement ps = c.prepareStatement(DROP_STALE_COPY_SQL)) {
      ps.setString(1, slot);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        int dropped = rs.getInt(2);
        if (dropped > 0) {
          LOG.warn(
              "dropped a stale copy of replication slot {} on standby {}:{}, left from when that"
                  + " member was primary (it pinned WAL there and held back catalog vacuum); its"
                  + " slot sync worker now keeps a synchronized copy",
              slot,
              host,
              port);
        }
        return dropped;
      }
    } catch (SQLException e) {
      LOG.debug(
          "could not check {}:{} for a stale copy of slot {}: {}",
          host,
          port,
          slot,
          e.getMessage());
      return 0;
    }
  }

  /** Fills the walsenders' identities and the standbys' usable addresses. */
  private void readStandbys(Connection primary, Set<String> walsenders, Set<String> addresses)
      throws SQLException {
    int hidden = 0;
    try (Statement s = primary.createStatement();
        ResultSet rs = s.executeQuery(STANDBYS_SQL)) {
      while (rs.next()) {
        walsenders.add(rs.getInt(1) + "@" + rs.getString(2));
        String address = rs.getString(3);
        if (address == null) {
          hidden++; // no pg_read_all_stats, or a standby on a Unix socket
        } else if (!isLoopbackHost(address)) {
          addresses.add(address);
        }
      }
    }
    if (hidden > 0 && !toldAboutHiddenAddresses) {
      toldAboutHiddenAddresses = true;
      LOG.warn(
          "cannot see the address of {} standby(s) in pg_stat_replication (grant"
              + " pg_read_all_stats); only the source members (PGTRICKLE_SOURCE_MEMBERS) are"
              + " checked for a stale copy of slot {}",
          hidden,
          slot);
    }
  }

  /** The host's own loopback address: a connection from it says nothing about where it listens. */
  static boolean isLoopbackHost(String address) {
    return address.equals("127.0.0.1") || address.equals("::1");
  }

  /**
   * The primary's port, where the members listen too; 0 before PostgreSQL 17 (no failover slots) or
   * on a Unix socket.
   */
  private static int portIfFailoverSlots(Connection c) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT current_setting('server_version_num')::int, inet_server_port()")) {
      return rs.next() && rs.getInt(1) >= 170000 ? rs.getInt(2) : 0;
    }
  }
}
