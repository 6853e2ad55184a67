package io.pgtrickle.operator.postgres.credentials;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Properties;
import org.postgresql.PGConnection;

/**
 * Changes role passwords on the primary. The password never travels in clear text and is never in a
 * statement PostgreSQL could log: the driver sends {@code ALTER USER ... PASSWORD 'SCRAM-SHA-256$
 * ...'} with the verifier it computed itself. The role names come from the Secrets, and the driver
 * quotes them as identifiers.
 */
public class RolePasswords {

  private static final int CONNECT_TIMEOUT_SECONDS = 5;
  private static final int SOCKET_TIMEOUT_SECONDS = 15;

  /** Raised when the primary cannot be reached or refuses; the reconcile retries later. */
  public static class RoleUpdateException extends RuntimeException {
    public RoleUpdateException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /**
   * Logs in to {@code host}:{@code port} as the superuser, first with {@code currentPassword}, then
   * with {@code newPassword} (a previous attempt may have changed it already), and sets the
   * password of every role in {@code roles}.
   */
  public void apply(
      String host,
      int port,
      String superuser,
      String currentPassword,
      String newPassword,
      List<Credentials.Role> roles) {
    try (Connection connection = connect(host, port, superuser, currentPassword, newPassword)) {
      try (Statement statement = connection.createStatement()) {
        // A change of credentials must not wait for a standby: the reconcile checks one exists,
        // and an ALTER stuck in a synchronous commit would hold the reconcile.
        statement.execute("SET statement_timeout = '10s'");
      }
      PGConnection pg = connection.unwrap(PGConnection.class);
      for (Credentials.Role role : roles) {
        pg.alterUserPassword(role.name(), role.password().toCharArray(), "scram-sha-256");
      }
    } catch (SQLException e) {
      throw new RoleUpdateException(
          "cannot change the passwords of " + roles + " on " + host + ": " + e.getMessage(), e);
    }
  }

  private static Connection connect(
      String host, int port, String user, String password, String fallbackPassword)
      throws SQLException {
    try {
      return DriverManager.getConnection(url(host, port), properties(user, password));
    } catch (SQLException e) {
      if (!"28P01".equals(e.getSQLState()) || fallbackPassword == null) {
        throw e;
      }
      return DriverManager.getConnection(url(host, port), properties(user, fallbackPassword));
    }
  }

  private static String url(String host, int port) {
    return "jdbc:postgresql://" + host + ":" + port + "/postgres";
  }

  private static Properties properties(String user, String password) {
    Properties props = new Properties();
    props.setProperty("user", user);
    props.setProperty("password", password);
    props.setProperty("connectTimeout", Integer.toString(CONNECT_TIMEOUT_SECONDS));
    props.setProperty("socketTimeout", Integer.toString(SOCKET_TIMEOUT_SECONDS));
    props.setProperty("ApplicationName", "pg-trickle-operator");
    props.setProperty("sslmode", "prefer");
    return props;
  }
}
