package io.pgtrickle.operator.postgres.credentials;

import io.pgtrickle.operator.postgres.tls.MemberJdbc;
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
   * Logs in to the primary {@code target} (with TLS over {@code verify-full}, see {@link
   * MemberJdbc}) as the superuser, first with {@code currentPassword}, then with {@code
   * newPassword} (a previous attempt may have changed it already), and sets the password of every
   * role in {@code roles}.
   */
  public void apply(
      MemberJdbc.Target target,
      String superuser,
      String currentPassword,
      String newPassword,
      List<Credentials.Role> roles) {
    try (Connection connection = connect(target, superuser, currentPassword, newPassword)) {
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
          "cannot change the passwords of " + roles + " on " + target + ": " + e.getMessage(), e);
    }
  }

  private static Connection connect(
      MemberJdbc.Target target, String user, String password, String fallbackPassword)
      throws SQLException {
    String url = MemberJdbc.url(target, "postgres");
    try {
      return DriverManager.getConnection(url, properties(target, user, password));
    } catch (SQLException e) {
      if (!"28P01".equals(e.getSQLState()) || fallbackPassword == null) {
        throw e;
      }
      return DriverManager.getConnection(url, properties(target, user, fallbackPassword));
    }
  }

  private static Properties properties(MemberJdbc.Target target, String user, String password) {
    return MemberJdbc.properties(
        target, user, password, CONNECT_TIMEOUT_SECONDS, SOCKET_TIMEOUT_SECONDS);
  }
}
