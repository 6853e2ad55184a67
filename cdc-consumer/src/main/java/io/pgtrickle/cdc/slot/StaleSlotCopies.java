package io.pgtrickle.cdc.slot;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
 * <p>Which servers it checks, each round: (1) every server an earlier replication session streamed
 * from, until it answers as a standby (a former primary takes a while to rejoin; given up after
 * {@link #GIVE_UP_AFTER}); (2) every physical standby streaming from the primary, by its address in
 * {@code pg_stat_replication} (needs {@code pg_read_all_stats}) at the primary's port, once per
 * replication connection, which also covers a consumer that restarted after the failover. A standby
 * that connects from a loopback address (same host, or a sidecar proxy) does not say where it
 * listens and is skipped. On the standby, one statement drops the copy only if it is not
 * synchronized, not in use and the server is still in recovery, so a member promoted meanwhile
 * keeps its slot.
 */
public final class StaleSlotCopies {

  private static final Logger LOG = LoggerFactory.getLogger(StaleSlotCopies.class);

  /** How long a former server that cannot be reached, or is not a standby, is tried again. */
  static final Duration GIVE_UP_AFTER = Duration.ofMinutes(30);

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

  /**
   * A server by address.
   *
   * @param host its address
   * @param port its port
   */
  record Server(String host, int port) {
    @Override
    public String toString() {
      return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }
  }

  /**
   * One standby's replication connection as the primary sees it.
   *
   * @param server where the standby listens (its address, the primary's port)
   * @param since when its walsender started: a reconnect is a new connection
   */
  record StandbyConnection(Server server, String since) {}

  /**
   * What one server answered.
   *
   * @param standby whether it is in recovery
   * @param dropped how many copies it dropped (0 or 1)
   */
  record Answer(boolean standby, int dropped) {}

  static final String STANDBYS_SQL =
      "SELECT host(r.client_addr), r.backend_start::text, inet_server_port()"
          + " FROM pg_stat_replication r JOIN pg_stat_activity a ON a.pid = r.pid"
          + " WHERE a.datname IS NULL AND r.state = 'streaming'"; // physical walsenders only

  /** Returns whether the server is a standby and how many copies it dropped (0 or 1). */
  static final String DROP_STALE_COPY_SQL =
      "WITH dropped AS (SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
          + " WHERE slot_name = ? AND NOT synced AND NOT active AND pg_is_in_recovery())"
          + " SELECT pg_is_in_recovery(), (SELECT count(*) FROM dropped)";

  private final String slot;
  private final ServerConnector connector;
  private final Clock clock;
  private final Map<Server, Instant> formerServers = new LinkedHashMap<>();
  private final Set<StandbyConnection> checked = new HashSet<>();
  private volatile Server current;
  private boolean toldAboutHiddenAddresses;

  /**
   * Creates the cleaner.
   *
   * @param slot the consumer's slot name
   * @param connector opens a connection to a server by address
   */
  public StaleSlotCopies(String slot, ServerConnector connector) {
    this(slot, connector, Clock.systemUTC());
  }

  StaleSlotCopies(String slot, ServerConnector connector, Clock clock) {
    this.slot = slot;
    this.connector = connector;
    this.clock = clock;
  }

  /**
   * Records the server a new replication session streams from; the one before becomes a former
   * server, checked until it answers as a standby.
   *
   * @param host its address, or {@code null} if unknown (a Unix socket)
   * @param port its port
   */
  public synchronized void sessionStarted(String host, int port) {
    Server next = host == null ? null : new Server(host, port);
    if (current != null && !current.equals(next)) {
      formerServers.putIfAbsent(current, clock.instant());
    }
    if (next != null) {
      formerServers.remove(next);
    }
    current = next;
  }

  /**
   * One round: checks the former servers and the standbys streaming from {@code primary} not
   * checked yet, and drops a stale copy of the slot where one is.
   *
   * @param primary a plain connection to the primary
   * @return how many stale copies were dropped
   * @throws SQLException if the primary cannot be asked; a standby that cannot be reached is only
   *     logged and checked again next round
   */
  public synchronized int dropOnStandbys(Connection primary) throws SQLException {
    if (!supportsFailoverSlots(primary)) {
      return 0;
    }
    List<StandbyConnection> streaming = streamingStandbys(primary);
    checked.retainAll(streaming);
    int dropped = 0;
    Instant now = clock.instant();
    for (Server former : List.copyOf(formerServers.keySet())) {
      if (former.equals(current)) {
        formerServers.remove(former);
        continue;
      }
      Answer answer = check(former);
      if (answer != null && answer.standby()) {
        formerServers.remove(former);
        dropped += answer.dropped();
      } else if (Duration.between(formerServers.get(former), now).compareTo(GIVE_UP_AFTER) > 0) {
        formerServers.remove(former);
        LOG.info(
            "stopped checking {} for a stale copy of slot {}: not back as a standby after {}",
            former,
            slot,
            GIVE_UP_AFTER);
      }
    }
    for (StandbyConnection standby : streaming) {
      if (checked.contains(standby)) {
        continue;
      }
      Answer answer = check(standby.server());
      if (answer != null) {
        checked.add(standby);
        dropped += answer.dropped();
      }
    }
    return dropped;
  }

  /**
   * Drops a stale copy on one server.
   *
   * @return what it answered, or {@code null} if it could not be asked
   */
  private Answer check(Server server) {
    try (Connection c = connector.connect(server.host(), server.port());
        PreparedStatement ps = c.prepareStatement(DROP_STALE_COPY_SQL)) {
      ps.setString(1, slot);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        Answer answer = new Answer(rs.getBoolean(1), rs.getInt(2));
        if (answer.dropped() > 0) {
          LOG.warn(
              "dropped a stale copy of replication slot {} on standby {}, left from when that"
                  + " member was primary (it pinned WAL there and held back catalog vacuum); its"
                  + " slot sync worker now keeps a synchronized copy",
              slot,
              server);
        }
        return answer;
      }
    } catch (SQLException e) {
      LOG.debug("could not check {} for a stale copy of slot {}: {}", server, slot, e.getMessage());
      return null;
    }
  }

  private List<StandbyConnection> streamingStandbys(Connection primary) throws SQLException {
    List<StandbyConnection> streaming = new ArrayList<>();
    int hidden = 0;
    try (Statement s = primary.createStatement();
        ResultSet rs = s.executeQuery(STANDBYS_SQL)) {
      while (rs.next()) {
        String address = rs.getString(1);
        if (address == null) {
          hidden++; // no pg_read_all_stats, or a standby on a Unix socket
        } else if (!isLoopbackHost(address)) {
          streaming.add(new StandbyConnection(new Server(address, rs.getInt(3)), rs.getString(2)));
        }
      }
    }
    if (hidden > 0 && !toldAboutHiddenAddresses) {
      toldAboutHiddenAddresses = true;
      LOG.warn(
          "cannot see the address of {} standby(s) in pg_stat_replication (grant"
              + " pg_read_all_stats): only servers this consumer streamed from are checked for a"
              + " stale copy of slot {}",
          hidden,
          slot);
    }
    return streaming;
  }

  /** The host's own loopback address: a connection from it says nothing about where it listens. */
  static boolean isLoopbackHost(String address) {
    return address.equals("127.0.0.1") || address.equals("::1");
  }

  private static boolean supportsFailoverSlots(Connection c) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT current_setting('server_version_num')::int")) {
      return rs.next() && rs.getInt(1) >= 170000;
    }
  }
}
