package io.pgtrickle.changelog.postgres;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * Turns off, for one session of our programs, the time limits a database administrator may have set
 * for application sessions ({@code ALTER DATABASE ... SET}, {@code ALTER ROLE ... SET}, {@code
 * postgresql.conf}): {@code statement_timeout}, {@code idle_in_transaction_session_timeout}, {@code
 * idle_session_timeout} (PostgreSQL 14 and later) and {@code transaction_timeout} (17 and later).
 * Production databases often set them (30 s is common); a refresh recomputing a large stream table,
 * a prune of a long backlog or a transaction that stays open while another connection reads its
 * windows would then be cancelled every time it runs and retried for ever, a stream table silently
 * never refreshed, and a long-lived connection idle between refreshes would be closed under the
 * next one. Our programs bound their own waits instead (socket timeouts, the worker's backend
 * watch, the CDC's silence limit, liveness probes). {@code lock_timeout} is left as set: a
 * statement that gives up on a lock is retried.
 *
 * <p>Plain {@code SET}s after the connection is made rather than the startup packet's {@code
 * options}, which connection poolers such as PgBouncer refuse by default, and the two newer
 * settings through {@code pg_settings}, as older servers do not know them.
 */
public final class SessionLimits {

  /**
   * The statements, one simple query: each limit set to 0 (none) for the session.
   *
   * @see <a href="https://www.postgresql.org/docs/current/runtime-config-client.html">PostgreSQL:
   *     Client Connection Defaults</a>
   */
  public static final String OFF =
      "SET statement_timeout = 0; SET idle_in_transaction_session_timeout = 0;"
          + " SELECT set_config(name, '0', false) FROM pg_settings"
          + " WHERE name IN ('idle_session_timeout', 'transaction_timeout')";

  private SessionLimits() {}

  /**
   * Turns the limits off on {@code c}, in autocommit mode or at the start of a transaction (a
   * {@code SET} rolled back with its transaction would be undone: call it before the first).
   *
   * @param c a new connection
   * @throws SQLException if the server fails
   */
  public static void off(Connection c) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute(OFF);
    }
  }
}
