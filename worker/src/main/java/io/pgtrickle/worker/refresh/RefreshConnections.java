package io.pgtrickle.worker.refresh;

import io.pgtrickle.worker.db.Database;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import org.postgresql.PGConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link Refresher}'s two connections (CONTRACTS.md §4): the refresh connection, which runs each
 * refresh's transaction (REPEATABLE READ, no socket timeout: a refresh takes as long as its data
 * needs), and the probe, an autocommit connection that reads the windows while the transaction
 * holds its snapshot (socket timeout 60 s). Opened on first use and again after a broken
 * connection; the refresh connection's backend (pid and start) is recorded for {@link
 * BackendWatch}, which may abort it from another thread.
 */
final class RefreshConnections implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(RefreshConnections.class);

  private final Database database;
  private final String role;
  private Connection conn;
  private volatile BackendWatch.Backend backend;
  private Connection probe;

  /**
   * Creates the pair, unopened.
   *
   * @param database the connection factory
   * @param role the refresh connection's role name ({@code application_name}); the probe's is this
   *     with {@code -probe} appended
   */
  RefreshConnections(Database database, String role) {
    this.database = database;
    this.role = role;
  }

  /**
   * Opens what is not open.
   *
   * @throws SQLException if the database refuses a connection
   */
  void open() throws SQLException {
    if (conn == null || conn.isClosed()) {
      conn = database.open(role, 0);
      // Once per connection: every transaction it begins is REPEATABLE READ (the driver's BEGIN
      // then goes with the first statement of each refresh, no round trip of its own), and a
      // prepared statement is planned once, not again for each of its first executions and for as
      // long as PostgreSQL finds a custom plan cheaper (a refresh's statements differ only in
      // their LSNs and ids: planning an apply again cost as much as running it).
      try (Statement s = conn.createStatement()) {
        s.execute("SET plan_cache_mode = force_generic_plan");
      }
      backend = BackendWatch.Backend.of(conn);
      conn.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
      conn.setAutoCommit(false);
    }
    if (probe == null || probe.isClosed()) {
      probe = database.open(role + "-probe", 60);
    }
  }

  /** The refresh connection, {@code null} before {@link #open}. */
  Connection refresh() {
    return conn;
  }

  /** The probe connection, {@code null} before {@link #open}. */
  Connection probe() {
    return probe;
  }

  /** The refresh connection's backend, {@code null} while there is none. */
  BackendWatch.Backend backend() {
    return backend;
  }

  /** Cancels the refresh connection's statement in progress, if any. */
  void cancel() {
    Connection c = conn;
    if (c != null) {
      try {
        c.unwrap(PGConnection.class).cancelQuery();
      } catch (SQLException e) {
        LOG.debug("cancel: {}", e.getMessage());
      }
    }
  }

  /**
   * Aborts the refresh connection (closes its socket, {@link Connection#abort}) if it is still the
   * one of {@code gone}: a statement waiting on it fails as a broken connection at once.
   *
   * @param gone the backend the server no longer has
   */
  void abort(BackendWatch.Backend gone) {
    Connection c = conn;
    if (c != null && gone.equals(backend)) {
      backend = null;
      try {
        c.abort(Runnable::run);
      } catch (SQLException e) {
        LOG.debug("abort: {}", e.getMessage());
      }
    }
  }

  /** Rolls the refresh transaction back if one is open; a broken connection is left as it is. */
  void rollbackQuietly() {
    try {
      if (conn != null && !conn.isClosed() && !conn.getAutoCommit()) {
        conn.rollback();
      }
    } catch (SQLException ignored) {
      // The connection is broken; it is reopened.
    }
  }

  /**
   * After a failed refresh: closes both connections if {@code e} says the connection broke
   * (SQLSTATE class 08, or none), so the next refresh opens new ones.
   *
   * @param e what the refresh failed with
   */
  void closeIfBroken(Exception e) {
    if (conn != null
        && e instanceof SQLException s
        && (s.getSQLState() == null || s.getSQLState().startsWith("08"))) {
      close();
    }
  }

  @Override
  public void close() {
    for (Connection c : new Connection[] {conn, probe}) {
      if (c != null) {
        try {
          c.close();
        } catch (SQLException ignored) {
          // Broken already.
        }
      }
    }
    conn = null;
    backend = null;
    probe = null;
  }
}
