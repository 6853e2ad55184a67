package io.pgtrickle.worker.db;

import io.pgtrickle.changelog.postgres.KeepaliveSocketFactory;
import io.pgtrickle.changelog.postgres.SessionLimits;
import io.pgtrickle.worker.config.WorkerConfig;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;

/**
 * Opens the worker's connections to the database of the sources, stream tables and catalog. Each
 * connection says who it is in {@code application_name} ({@code pgtrickle-worker <id> <role>}), so
 * {@code pg_stat_activity} shows which worker holds what. The password is passed as a property,
 * never in the URL or a log line.
 */
public final class Database {

  /** Every worker connection's {@code application_name} starts with this. */
  public static final String APPLICATION_PREFIX = "pgtrickle-worker ";

  private final WorkerConfig config;

  /**
   * Creates the factory.
   *
   * @param config the settings (URL, user, password, worker id)
   */
  public Database(WorkerConfig config) {
    this.config = config;
  }

  /**
   * Opens a connection in autocommit mode.
   *
   * <p>{@code client_connection_check_interval} makes the server notice within seconds that a
   * killed worker's connection is gone even while a long statement runs, so its locks (claims) are
   * released at once rather than when the statement ends; TCP keepalives do the same for a worker
   * that vanished from the network.
   *
   * @param role what the connection is for, e.g. {@code refresh-1}, {@code ingest}
   * @param socketTimeoutSeconds the longest a single server round trip may take (0: unlimited, for
   *     refresh statements that take as long as the data needs)
   * @return the connection
   * @throws SQLException if the database cannot be reached; when it refuses the user, password,
   *     database or {@code CONNECT} privilege, the message names the setting and the fix ({@link
   *     DatabaseRefusal})
   */
  public Connection open(String role, int socketTimeoutSeconds) throws SQLException {
    Properties p = new Properties();
    p.setProperty("user", config.databaseUser());
    if (config.databasePassword() != null) {
      p.setProperty("password", config.databasePassword());
    }
    p.setProperty("ApplicationName", applicationName(role));
    // Keepalive probes after 10 s idle: a vanished server is noticed in about 25 s, not 2 h.
    KeepaliveSocketFactory.configure(p);
    p.setProperty("connectTimeout", "10");
    p.setProperty("socketTimeout", String.valueOf(socketTimeoutSeconds));
    Connection c;
    try {
      c = DriverManager.getConnection(config.databaseUrl(), p);
    } catch (SQLException e) {
      // A wrong password, a missing role, database or CONNECT privilege: name the fix, so the
      // probes (readiness: "database unavailable: ...") say what to do.
      throw DatabaseRefusal.onConnect(
          e,
          config.databaseUser(),
          DatabaseRefusal.databaseOf(config.databaseUrl(), config.databaseUser()));
    }
    try (Statement s = c.createStatement()) {
      s.execute(
          "SET client_connection_check_interval = '2s'; SET tcp_keepalives_idle = 10;"
              + " SET tcp_keepalives_interval = 5; SET tcp_keepalives_count = 3; "
              // A refresh takes as long as its data needs, and its transaction stays open while
              // the probe reads its windows: the database's limits for applications would cancel
              // it every time (SessionLimits).
              + SessionLimits.OFF);
    } catch (SQLException e) {
      c.close();
      throw e;
    }
    return c;
  }

  /**
   * The {@code application_name} of this worker's connections for a role.
   *
   * @param role the connection's role
   * @return the name, at most 63 bytes as PostgreSQL keeps it
   */
  public String applicationName(String role) {
    String name = APPLICATION_PREFIX + config.workerId() + " " + role;
    return name.length() > 63 ? name.substring(0, 63) : name;
  }

  /**
   * The worker's id.
   *
   * @return the id from the configuration
   */
  public String workerId() {
    return config.workerId();
  }
}
