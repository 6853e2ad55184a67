package io.pgtrickle.worker.refresh;

import io.pgtrickle.worker.db.Database;
import java.sql.Array;
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
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Aborts refresh connections whose server vanished.
 *
 * <p>A refresh connection has no socket timeout: a refresh takes as long as its data needs. A
 * server whose machine vanishes (a lost node, a network that drops everything) does not close it,
 * so a statement sent on it waits for an answer that never comes, for as long as the operating
 * system's TCP keepalive takes to give up (about 2 h by default), and its stream table is not
 * refreshed by this worker meanwhile. Every {@value #CHECK_EVERY_SECONDS} s the watch asks the
 * server the database URL reaches now (a connection of its own, 10 s socket timeout) whether each
 * refresher's backend, its pid and start time, is still there; a backend not seen for {@value
 * #LIMIT_SECONDS} s is aborted ({@link Refresher#abort}): the refresh fails as a broken connection
 * and is tried again on a new connection, to whichever server the URL reaches (after a failover,
 * the new primary). A check that cannot reach any server tells nothing and changes nothing. {@code
 * VanishedDatabaseIT} cuts a worker's connections without closing them.
 */
public final class BackendWatch implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(BackendWatch.class);

  /** How often the backends are looked for, s. */
  static final int CHECK_EVERY_SECONDS = 5;

  /** How long a backend may be missing before its connection is aborted, s. */
  static final int LIMIT_SECONDS = 30;

  /**
   * A server backend.
   *
   * @param pid its process id
   * @param start {@code pg_stat_activity.backend_start} as text (a pid alone may be reused)
   */
  public record Backend(int pid, String start) {

    /** The backend of {@code c}; one round trip. */
    static Backend of(Connection c) throws SQLException {
      try (Statement s = c.createStatement();
          ResultSet rs =
              s.executeQuery(
                  "SELECT pid, backend_start::text FROM pg_stat_activity"
                      + " WHERE pid = pg_backend_pid()")) {
        return rs.next() ? new Backend(rs.getInt(1), rs.getString(2)) : null;
      }
    }
  }

  private final Database database;
  private final List<Refresher> refreshers;
  private final Map<Backend, Long> lastSeen = new HashMap<>();
  private final ScheduledExecutorService thread =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "backend-watch");
            t.setDaemon(true);
            return t;
          });
  private Connection connection;

  /**
   * Creates the watch.
   *
   * @param database where its own connection comes from
   * @param refreshers the refreshers whose connections it watches
   */
  public BackendWatch(Database database, List<Refresher> refreshers) {
    this.database = database;
    this.refreshers = List.copyOf(refreshers);
  }

  /** Starts checking, on a thread of its own. */
  public void start() {
    thread.scheduleWithFixedDelay(
        this::check, CHECK_EVERY_SECONDS, CHECK_EVERY_SECONDS, TimeUnit.SECONDS);
  }

  private void check() {
    Map<Backend, Refresher> watched = new HashMap<>();
    for (Refresher r : refreshers) {
      Backend b = r.backend();
      if (b != null) {
        watched.put(b, r);
      }
    }
    if (watched.isEmpty()) {
      lastSeen.clear();
      return;
    }
    Set<Backend> present;
    try {
      present = present(watched.keySet());
    } catch (SQLException | RuntimeException e) {
      closeConnection(); // no server answered: nothing to tell
      return;
    }
    for (Backend gone :
        vanished(
            lastSeen,
            watched.keySet(),
            present,
            System.nanoTime(),
            TimeUnit.SECONDS.toNanos(LIMIT_SECONDS))) {
      LOG.warn(
          "the server no longer has backend {} (started {}) of a refresh connection, for {} s:"
              + " the connection is taken for dead and aborted",
          gone.pid(),
          gone.start(),
          LIMIT_SECONDS);
      watched.get(gone).abort(gone);
    }
  }

  /**
   * Which backends have been missing for longer than {@code limit}; records when each was last seen
   * (a backend watched for the first time counts as seen now) and forgets those no longer watched.
   * Pure but for {@code lastSeen}.
   *
   * @param lastSeen when each backend was last seen, {@link System#nanoTime()}; updated
   * @param watched the backends of the open connections
   * @param present those the server has
   * @param now {@link System#nanoTime()}
   * @param limit ns
   * @return the backends to abort
   */
  static List<Backend> vanished(
      Map<Backend, Long> lastSeen,
      Collection<Backend> watched,
      Set<Backend> present,
      long now,
      long limit) {
    lastSeen.keySet().retainAll(new HashSet<>(watched));
    List<Backend> gone = new ArrayList<>();
    for (Backend b : watched) {
      Long seen = lastSeen.get(b);
      if (seen == null || present.contains(b)) {
        lastSeen.put(b, now);
      } else if (now - seen > limit) {
        gone.add(b);
        lastSeen.remove(b);
      }
    }
    return gone;
  }

  private Set<Backend> present(Collection<Backend> backends) throws SQLException {
    if (connection == null || connection.isClosed()) {
      connection = database.open("backend-watch", 10);
    }
    Integer[] pids = backends.stream().map(Backend::pid).toArray(Integer[]::new);
    Set<Backend> present = new HashSet<>();
    try (PreparedStatement ps =
        connection.prepareStatement(
            "SELECT pid, backend_start::text FROM pg_stat_activity WHERE pid = ANY (?)")) {
      Array array = connection.createArrayOf("integer", pids);
      ps.setArray(1, array);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          present.add(new Backend(rs.getInt(1), rs.getString(2)));
        }
      }
    }
    return present;
  }

  private void closeConnection() {
    if (connection != null) {
      try {
        connection.close();
      } catch (SQLException ignored) {
        // Broken already; a new one is opened at the next check.
      }
      connection = null;
    }
  }

  @Override
  public void close() {
    thread.shutdownNow();
    closeConnection();
  }
}
