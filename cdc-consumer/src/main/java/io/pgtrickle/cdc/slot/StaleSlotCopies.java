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
 * Drops the copy of the consumer's slot that a former primary keeps after it rejoined as a standby:
 * on PostgreSQL 17 and later with failover slots, and before 17 when asked to ({@link Policy}).
 *
 * <p>Why, on 17 and later: the slot was created on the member that was primary then. After a
 * failover that member comes back as a standby (pg_rewind keeps {@code pg_replslot}) with its own
 * copy, marked not {@code synced}. The standby's slot sync worker refuses to replace a slot it did
 * not create ("exiting from slot synchronization because same name slot ... already exists on the
 * standby"), so the copy stays at the old position: it pins WAL on that member, its catalog xmin
 * holds back catalog vacuum on the primary through {@code hot_standby_feedback}, and a failover to
 * that member resumes from far back. Patroni leaves failover slots alone, and the slot is the
 * consumer's, so the consumer drops the copy; the standby's slot sync worker then keeps a
 * synchronized one, and the member is a safe failover target again.
 *
 * <p>Why, before 17: the same own copy stays on a former primary (pg_rewind and a clean demotion
 * keep {@code pg_replslot}) once Patroni no longer drops it, which is the case when the slot is in
 * Patroni's {@code ignore_slots}, as the operator configures it so that Patroni stops dropping the
 * slot on the primary. There is no slot synchronization before 17, so nothing ever moves that copy:
 * it pins WAL on that member, and a later promotion of that member would make the consumer resume
 * from the old position. Every copy on a standby is then stale, unless a tool keeps copies there on
 * purpose (Patroni permanent slots, pg_failover_slots): dropping would fight it, so this is opt-in
 * ({@code PGTRICKLE_DROP_STANDBY_SLOT_COPIES}).
 *
 * <p>When: a member rejoins by opening a new replication connection to the primary. So each round
 * reads the primary's major and its physical walsenders ({@code pg_stat_replication}); for {@link
 * #CHECK_WINDOW} after they change (and after the consumer starts) every round checks every member.
 * The window outlasts DNS caches, which may still hide a recreated pod's new address for 30 s.
 *
 * <p>Where: the members are the addresses {@code members} resolves to (the source cluster's
 * headless Service, {@code NAME-pods}, which lists every pod, ready or not), plus each standby's
 * client address in {@code pg_stat_replication} (needs {@code pg_read_all_stats}), both at the
 * primary's port. A client address of 127.0.0.1 or ::1 (same host, or a sidecar proxy) says nothing
 * about where a standby listens and is skipped. On each member one statement drops the copy only if
 * it is not in use and the server is in recovery, and on 17 and later only if it is not
 * synchronized: the primary, or a member promoted meanwhile, keeps its slot. A physical standby
 * runs its primary's major, so the primary's says which statement applies.
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

  /**
   * PostgreSQL 17 and later: returns whether the server is a standby and how many copies it dropped
   * (0 or 1). A synchronized copy is the slot sync worker's and is kept.
   */
  static final String DROP_STALE_COPY_SQL =
      "WITH dropped AS (SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
          + " WHERE slot_name = ? AND NOT synced AND NOT active AND pg_is_in_recovery())"
          + " SELECT pg_is_in_recovery(), (SELECT count(*) FROM dropped)";

  /**
   * Before PostgreSQL 17 (no {@code synced} column, no slot synchronization): the same, for any
   * logical copy on a standby.
   */
  static final String DROP_COPY_BEFORE_17_SQL =
      "WITH dropped AS (SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
          + " WHERE slot_name = ? AND slot_type = 'logical' AND NOT active"
          + " AND pg_is_in_recovery())"
          + " SELECT pg_is_in_recovery(), (SELECT count(*) FROM dropped)";

  /**
   * Where copies are dropped.
   *
   * @param failoverSlot PostgreSQL 17 and later: drop copies that are not synchronized (the slot is
   *     a failover slot, {@code PGTRICKLE_FAILOVER_SLOT})
   * @param dropStandbySlotCopies before PostgreSQL 17: drop every copy on a standby ({@code
   *     PGTRICKLE_DROP_STANDBY_SLOT_COPIES})
   */
  public record Policy(boolean failoverSlot, boolean dropStandbySlotCopies) {

    /**
     * Whether any major gets a cleanup: if not, there is nothing to schedule.
     *
     * @return {@code failoverSlot || dropStandbySlotCopies}
     */
    public boolean any() {
      return failoverSlot || dropStandbySlotCopies;
    }

    /** Whether copies are dropped on a cluster of this major ({@code server_version_num}). */
    boolean appliesTo(int serverVersionNum) {
      return serverVersionNum >= 170000 ? failoverSlot : dropStandbySlotCopies;
    }
  }

  private final String slot;
  private final Policy policy;
  private final ServerConnector connector;
  private final Members members;
  private final CheckWindow window = new CheckWindow(CHECK_WINDOW);
  private boolean toldAboutHiddenAddresses;

  /**
   * Creates the cleaner.
   *
   * @param slot the consumer's slot name
   * @param policy on which majors copies are dropped
   * @param connector opens a connection to a member by address
   * @param members the source cluster's members
   */
  public StaleSlotCopies(String slot, Policy policy, ServerConnector connector, Members members) {
    this.slot = slot;
    this.policy = policy;
    this.connector = connector;
    this.members = members;
  }

  /**
   * One round: if the policy covers the primary's major and its standbys changed within {@link
   * #CHECK_WINDOW}, checks every member and drops a stale copy of the slot where one is.
   *
   * @param primary a plain connection to the primary
   * @return how many stale copies were dropped
   * @throws SQLException if the primary cannot be asked; a member that cannot be reached is only
   *     logged and checked again next round
   */
  public int dropOnStandbys(Connection primary) throws SQLException {
    Server server = Server.of(primary);
    int version = server.version();
    int port = server.port();
    if (port == 0 || !policy.appliesTo(version)) {
      return 0;
    }
    boolean from17 = version >= 170000;
    Set<String> walsenders = new HashSet<>();
    Set<String> clientAddresses = new LinkedHashSet<>();
    readStandbys(primary, walsenders, clientAddresses);
    if (!window.check(walsenders, Instant.now())) {
      return 0;
    }
    int dropped = 0;
    for (String host : candidates(clientAddresses)) {
      dropped += check(host, port, from17, true);
    }
    return dropped;
  }

  /**
   * For a slot being dropped for good (its consumer decommissioned): drops every copy of it on
   * every standby, whatever the policy, with no window. Before PostgreSQL 17 such copies are kept
   * by Patroni while the slot is a permanent slot, and Patroni does not drop them once it no longer
   * is: it forgets the slots it does not manage and looks at the server's list again only after a
   * restart or an error ({@code patroni/postgresql/slots.py}, {@code sync_replication_slots}). On
   * 17 and later a synchronized copy goes with the primary's slot (the slot sync worker drops it);
   * only a copy that is not synchronized is dropped here.
   *
   * @param primary a plain connection to the primary
   * @return the members where a copy was dropped, {@code host:port}
   * @throws SQLException if the primary cannot be asked; a member that cannot be reached is logged
   */
  public List<String> dropAllCopies(Connection primary) throws SQLException {
    Server server = Server.of(primary);
    int version = server.version();
    int port = server.port();
    List<String> where = new ArrayList<>();
    if (port == 0) {
      return where;
    }
    Set<String> clientAddresses = new LinkedHashSet<>();
    readStandbys(primary, new HashSet<>(), clientAddresses);
    for (String host : candidates(clientAddresses)) {
      if (check(host, port, version >= 170000, false) > 0) {
        where.add(host + ":" + port);
      }
    }
    return where;
  }

  /**
   * The primary's major and port.
   *
   * @param version {@code server_version_num}
   * @param port the port it listens on, the members' too; 0 on a Unix socket (unknown)
   */
  private record Server(int version, int port) {
    static Server of(Connection primary) throws SQLException {
      try (Statement s = primary.createStatement();
          ResultSet rs =
              s.executeQuery(
                  "SELECT current_setting('server_version_num')::int, inet_server_port()")) {
        rs.next();
        return new Server(rs.getInt(1), rs.getInt(2));
      }
    }
  }

  /** The source members and the standbys' client addresses, without repeats. */
  private Set<String> candidates(Set<String> clientAddresses) {
    Set<String> candidates = new LinkedHashSet<>();
    try {
      candidates.addAll(members.addresses());
    } catch (UnknownHostException e) {
      LOG.debug("source members not resolved this round: {}", e.getMessage());
    }
    candidates.addAll(clientAddresses);
    return candidates;
  }

  /**
   * Drops a copy on one member; how many it dropped (0 if none or unreachable). {@code stale}: the
   * copy is a former primary's, logged as such.
   */
  private int check(String host, int port, boolean from17, boolean stale) {
    try (Connection c = connector.connect(host, port);
        PreparedStatement ps =
            c.prepareStatement(from17 ? DROP_STALE_COPY_SQL : DROP_COPY_BEFORE_17_SQL)) {
      ps.setString(1, slot);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        int dropped = rs.getInt(2);
        if (!stale) {
          return dropped;
        }
        if (dropped > 0 && from17) {
          LOG.warn(
              "dropped a stale copy of replication slot {} on standby {}:{}, left from when that"
                  + " member was primary (it pinned WAL there and held back catalog vacuum); its"
                  + " slot sync worker now keeps a synchronized copy",
              slot,
              host,
              port);
        } else if (dropped > 0) {
          LOG.warn(
              "dropped a stale copy of replication slot {} on standby {}:{}, left from when that"
                  + " member was primary: before PostgreSQL 17 nothing moves it, so it pinned WAL"
                  + " there and a promotion of that member would have made the consumer resume"
                  + " from that old position",
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
}
