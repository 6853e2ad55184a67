package io.pgtrickle.operator.postgres.credentials;

import io.pgtrickle.operator.postgres.status.ObservedCluster;
import java.sql.SQLException;
import javax.net.ssl.SSLException;

/**
 * Which failures to apply new passwords will not pass by themselves and so belong in the status
 * rather than only in the log: the member's certificate fails verification (its name or its CA:
 * retrying cannot help until the certificate changes), or the member refuses both the current and
 * the new password (SQLSTATE 28P01, PostgreSQL's invalid_password). Anything else (a member
 * restarting, a timeout) is retried quietly.
 */
public final class RotationFailures {

  /** The driver's message when {@code sslhostnameverifier} refuses the certificate's names. */
  static final String HOSTNAME_NOT_VERIFIED = "could not be verified by hostnameverifier";

  private RotationFailures() {}

  /** A finding for the status when {@code failure} will not pass by itself, else null. */
  public static ObservedCluster.Finding lasting(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      String message = String.valueOf(t.getMessage());
      if (t instanceof SSLException || message.contains(HOSTNAME_NOT_VERIFIED)) {
        return finding("the member's TLS certificate was refused", failure);
      }
      if (t instanceof SQLException sql && "28P01".equals(sql.getSQLState())) {
        return finding("the member refused the superuser's passwords", failure);
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return null;
  }

  private static ObservedCluster.Finding finding(String why, Throwable failure) {
    return new ObservedCluster.Finding(
        CredentialRotation.NOT_APPLIED,
        "New passwords not applied, " + why + "; retrying: " + failure.getMessage());
  }
}
