package io.pgtrickle.operator.streams.db;

import io.pgtrickle.operator.postgres.tls.MemberJdbc;
import io.pgtrickle.operator.streams.spec.DatabaseUrls;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Properties;

/**
 * Where the operator itself reaches a pipeline's database, with the credentials from its Secret.
 * With a clusterRef that is the primary pod's own address (the operator talks to pods directly, as
 * it does to Patroni), otherwise the spec's host. Short timeouts: a reconcile must not hang on an
 * unreachable server. {@link #toString()} never shows the password.
 *
 * @param host host name or address
 * @param port port
 * @param database database name
 * @param user user name
 * @param password password, never logged
 * @param tls with a clusterRef, the primary as a member of its PostgresCluster: {@code
 *     sslmode=verify-full} against the cluster's CA when it has TLS (see {@link MemberJdbc}); null
 *     otherwise (the driver's default, {@code sslmode=prefer})
 */
public record DatabaseEndpoint(
    String host, int port, String database, String user, String password, MemberJdbc.Target tls) {

  /** An endpoint without a PostgresCluster's TLS (the spec's host). */
  public DatabaseEndpoint(String host, int port, String database, String user, String password) {
    this(host, port, database, user, password, null);
  }

  /** Seconds to wait for a connection, and for any statement. */
  static final int CONNECT_TIMEOUT_S = 5;

  static final int SOCKET_TIMEOUT_S = 20;

  /** A connection in auto-commit mode. */
  public Connection connect() throws SQLException {
    return DriverManager.getConnection(jdbcUrl(), properties());
  }

  /** The driver's properties: login, timeouts, and the cluster's TLS settings. */
  Properties properties() {
    Properties p = new Properties();
    p.setProperty("user", user);
    if (password != null) {
      p.setProperty("password", password);
    }
    p.setProperty("connectTimeout", String.valueOf(CONNECT_TIMEOUT_S));
    p.setProperty("loginTimeout", String.valueOf(CONNECT_TIMEOUT_S));
    p.setProperty("socketTimeout", String.valueOf(SOCKET_TIMEOUT_S));
    p.setProperty("ApplicationName", "pg-trickle-operator");
    if (tls != null) {
      MemberJdbc.tls(tls, p);
    }
    return p;
  }

  public String jdbcUrl() {
    return "jdbc:postgresql://" + host + ":" + port + "/" + DatabaseUrls.segment(database);
  }

  @Override
  public String toString() {
    return user + "@" + host + ":" + port + "/" + database;
  }
}
