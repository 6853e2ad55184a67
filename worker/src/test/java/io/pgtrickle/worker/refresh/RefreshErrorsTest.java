package io.pgtrickle.worker.refresh;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.SQLException;
import org.junit.jupiter.api.Test;
import org.postgresql.util.PSQLException;
import org.postgresql.util.PSQLState;
import org.postgresql.util.ServerErrorMessage;

/** Which failures PgJDBC raised itself before sending a statement, and which the server raised. */
class RefreshErrorsTest {

  @Test
  void theDriversOwnParameterChecksFailBeforeSending() {
    // What PgJDBC 42.7 throws for a placeholder left unbound (QueryExecutorImpl checks first).
    PSQLException unbound =
        new PSQLException("No value specified for parameter 4.", PSQLState.INVALID_PARAMETER_VALUE);
    assertThat(unbound.getSQLState()).isEqualTo("22023");
    assertThat(RefreshErrors.beforeSending(unbound)).isTrue();
    assertThat(RefreshErrors.dataException(unbound)).isTrue();
    assertThat(
            RefreshErrors.beforeSending(
                new PSQLException("Can't infer the SQL type", PSQLState.INVALID_PARAMETER_TYPE)))
        .isTrue();
  }

  @Test
  void theServersDataErrorsAndTheDriversLostConnectionsAreNot() {
    PSQLException division =
        new PSQLException(
            new ServerErrorMessage("SERROR\u0000C22012\u0000Mdivision by zero\u0000"));
    assertThat(division.getSQLState()).isEqualTo("22012");
    assertThat(RefreshErrors.beforeSending(division)).isFalse();
    assertThat(RefreshErrors.dataException(division)).isTrue();
    assertThat(
            RefreshErrors.beforeSending(
                new PSQLException("An I/O error occurred", PSQLState.CONNECTION_FAILURE)))
        .isFalse();
    assertThat(RefreshErrors.beforeSending(new SQLException("other driver", "22023"))).isFalse();
  }

  @Test
  void exhaustedResourcesAreRetriedButAnAdministratorsLimitCounts() {
    assertThat(RefreshErrors.transientFailure(server("53100", "could not extend file"))).isTrue();
    assertThat(RefreshErrors.transientFailure(server("53200", "out of memory"))).isTrue();
    assertThat(RefreshErrors.transientFailure(server("53300", "too many clients"))).isTrue();
    assertThat(
            RefreshErrors.transientFailure(
                server("53400", "temporary file size exceeds temp_file_limit (1024kB)")))
        .isFalse();
    assertThat(RefreshErrors.transientFailure(server("57014", "canceling statement"))).isTrue();
    assertThat(RefreshErrors.transientFailure(server("42P01", "relation does not exist")))
        .isFalse();
  }

  private static PSQLException server(String sqlState, String message) {
    return new PSQLException(
        new ServerErrorMessage("SERROR\u0000C" + sqlState + "\u0000M" + message + "\u0000"));
  }
}
