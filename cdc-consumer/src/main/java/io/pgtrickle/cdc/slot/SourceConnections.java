package io.pgtrickle.cdc.slot;

import io.pgtrickle.cdc.config.CdcConfig;
import io.pgtrickle.cdc.config.SourceRefusedException;
import io.pgtrickle.changelog.postgres.KeepaliveSocketFactory;
import io.pgtrickle.changelog.postgres.SessionLimits;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Properties;
import org.postgresql.PGConnection;
import org.postgresql.PGProperty;

/**
 * Opens connections to the source database: plain ones for administration (publication, slot, lag)
 * and replication ones for the stream. The URL should name a host that follows the primary (the
 * cluster's {@code NAME-primary} Service, or several hosts with {@code targetServerType=primary}),
 * so a reconnect after failover reaches the new primary.
 */
public final class SourceConnections {

  private final CdcConfig config;

  /**
   * Creates the factory.
   *
   * @param config the settings naming the source
   */
  public SourceConnections(CdcConfig config) {
    this.config = config;
  }

  /**
   * Opens a plain connection.
   *
   * @return the connection, auto-commit on
   * @throws SourceRefusedException if the source refused the user, its password or the database
   * @throws SQLException if the server cannot be reached
   */
  public Connection admin() throws SQLException {
    Properties p = base();
    PGProperty.APPLICATION_NAME.set(p, "pgtrickle-cdc-admin");
    // A lag query must never hang the caller: the liveness probe depends on it.
    PGProperty.SOCKET_TIMEOUT.set(p, 30);
    return withoutLimits(connect(config.sourceUrl(), p, false));
  }

  /**
   * {@code c} with the database's time limits for applications turned off ({@link SessionLimits}):
   * creating a slot waits for the transactions running on the source, as long as they run.
   */
  private static Connection withoutLimits(Connection c) throws SQLException {
    try {
      SessionLimits.off(c);
      return c;
    } catch (SQLException e) {
      c.close();
      throw e;
    }
  }

  private Connection connect(String url, Properties p, boolean replication) throws SQLException {
    try {
      return DriverManager.getConnection(url, p);
    } catch (SQLException e) {
      throw SourceRefusedException.onConnect(e, config.sourceUser(), database(), replication);
    }
  }

  /**
   * The database the source URL names.
   *
   * @return the name (PgJDBC's default, the user's name, when the URL names none)
   */
  public String database() {
    return databaseOf(config.sourceUrl(), config.sourceUser());
  }

  /** The database of a {@code jdbc:postgresql://hosts/db?options} URL, else {@code user}. */
  static String databaseOf(String url, String user) {
    // PgJDBC's own parsing (host lists, percent-decoding); null for a URL it would not connect to.
    java.util.Properties parsed = org.postgresql.Driver.parseURL(url, null);
    String db =
        parsed == null ? null : parsed.getProperty(org.postgresql.PGProperty.PG_DBNAME.getName());
    return db == null || db.isEmpty() ? user : db;
  }

  /**
   * Opens a plain connection to one server, by address, bypassing whatever the URL's host name
   * routes to now: the server a replication session streams from, also while a Service no longer
   * selects it (being shut down).
   *
   * @param host the server's address
   * @param port its port
   * @return the connection, auto-commit on
   * @throws SQLException if the server cannot be reached or refuses
   */
  public Connection adminAt(String host, int port) throws SQLException {
    Properties p = base();
    PGProperty.APPLICATION_NAME.set(p, "pgtrickle-cdc-admin");
    PGProperty.SOCKET_TIMEOUT.set(p, 30);
    PGProperty.CONNECT_TIMEOUT.set(p, 2);
    return withoutLimits(connect(urlAt(config.sourceUrl(), host, port), p, false));
  }

  /** {@code url} with its host list replaced by {@code host:port}; database and options kept. */
  static String urlAt(String url, String host, int port) {
    String prefix = "jdbc:postgresql://";
    String rest = url.substring(prefix.length());
    int slash = rest.indexOf('/');
    int query = rest.indexOf('?');
    int end = slash >= 0 ? slash : (query >= 0 ? query : rest.length());
    String address = host.contains(":") ? "[" + host + "]" : host;
    return prefix + address + ":" + port + rest.substring(end);
  }

  /**
   * Opens a logical replication connection.
   *
   * @return the connection; unwrap {@link PGConnection} for the replication API
   * @throws SourceRefusedException if the source refused the user (also for lack of {@code
   *     REPLICATION}), its password or the database
   * @throws SQLException if the server cannot be reached
   */
  public Connection replication() throws SQLException {
    Properties p = base();
    PGProperty.APPLICATION_NAME.set(p, config.slot());
    PGProperty.REPLICATION.set(p, "database");
    PGProperty.ASSUME_MIN_SERVER_VERSION.set(p, "10");
    // The replication protocol accepts only simple queries.
    PGProperty.PREFER_QUERY_MODE.set(p, "simple");
    return connect(config.sourceUrl(), p, true);
  }

  private Properties base() {
    Properties p = new Properties();
    PGProperty.USER.set(p, config.sourceUser());
    if (config.sourcePassword() != null) {
      PGProperty.PASSWORD.set(p, config.sourcePassword());
    }
    PGProperty.CONNECT_TIMEOUT.set(p, 10);
    PGProperty.LOGIN_TIMEOUT.set(p, 10);
    // Keepalive probes after 10 s idle: a vanished server is noticed in about 25 s, not 2 h.
    return KeepaliveSocketFactory.configure(p);
  }
}
