package io.pgtrickle.operator.postgres.credentials;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.SQLException;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.Test;

class RotationFailuresTest {

  private static RolePasswords.RoleUpdateException failed(SQLException cause) {
    return new RolePasswords.RoleUpdateException(
        "cannot change the passwords of [postgres] on 127.16.2.3: " + cause.getMessage(), cause);
  }

  @Test
  void aCertificateWhoseNameTheVerifierRefusesIsReported() {
    var finding =
        RotationFailures.lasting(
            failed(
                new SQLException(
                    "The hostname 127.16.2.3 could not be verified by hostnameverifier"
                        + " io.pgtrickle.operator.postgres.tls.MemberNameVerifier.",
                    "08006")));
    assertThat(finding).isNotNull();
    assertThat(finding.reason()).isEqualTo(CredentialRotation.NOT_APPLIED);
    assertThat(finding.message())
        .contains("TLS certificate was refused")
        .contains("could not be verified by hostnameverifier");
  }

  @Test
  void aFailedHandshakeIsReported() {
    var sql = new SQLException("SSL error: PKIX path building failed", "08006");
    sql.initCause(new SSLHandshakeException("PKIX path building failed"));
    assertThat(RotationFailures.lasting(failed(sql))).isNotNull();
  }

  @Test
  void bothPasswordsRefusedIsReported() {
    var finding =
        RotationFailures.lasting(
            failed(new SQLException("password authentication failed", "28P01")));
    assertThat(finding.message()).contains("refused the superuser's passwords");
  }

  @Test
  void aMemberThatCannotBeReachedNowIsRetriedQuietly() {
    assertThat(RotationFailures.lasting(failed(new SQLException("Connection refused", "08001"))))
        .isNull();
  }
}
