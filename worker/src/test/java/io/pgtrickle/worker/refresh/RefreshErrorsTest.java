package io.pgtrickle.worker.refresh;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.SQLException;
import java.util.Map;
import java.util.Set;
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

  @Test
  void aDroppedSourceIsSaidToBeDroppedAndAChangedOneNamed() {
    PSQLException gone = server("42P01", "relation \"public.s2\" does not exist");
    assertThat(RefreshErrors.message(gone, Set.of(18899L), Map.of(18899L, "18899")))
        .isEqualTo(
            "refresh failed: relation \"public.s2\" does not exist (SQLSTATE 42P01); source 18899"
                + " was dropped since the last refresh: create it again and resume_stream_table,"
                + " or alter_stream_table(query => ...)");
    PSQLException column = server("42703", "column items.v does not exist");
    assertThat(RefreshErrors.message(column, Set.of(5L, 7L), Map.of(5L, "public.items", 7L, "7")))
        .endsWith(
            "; source 7 was dropped since the last refresh: create it again and"
                + " resume_stream_table, or alter_stream_table(query => ...); the columns of"
                + " public.items changed since the last refresh: resume_stream_table after fixing"
                + " the source, or alter_stream_table(query => ...)");
    assertThat(RefreshErrors.message(column, Set.of(), Map.of()))
        .isEqualTo("refresh failed: column items.v does not exist (SQLSTATE 42703)");
  }

  @Test
  void theWorkersOwnRelationGoneIsNotPermanentButTheQuerysIs() {
    assertThat(
            RefreshErrors.permanent(
                server("42P01", "relation \"pg_temp_20.pgt_buffer_16402\" does not exist")))
        .isFalse();
    assertThat(
            RefreshErrors.permanent(
                server("42P01", "relation \"pg_temp.pgt_window_16402\" does not exist")))
        .isFalse();
    assertThat(
            RefreshErrors.permanent(
                server("42P01", "relation \"pgtrickle_changes.changes_16402\" does not exist")))
        .isFalse();
    assertThat(RefreshErrors.permanent(server("42P01", "relation \"public.items\" does not exist")))
        .isTrue();
    assertThat(
            RefreshErrors.permanent(
                server("42P01", "relation \"public.pgt_buffer_items\" does not exist")))
        .isTrue();
    assertThat(RefreshErrors.permanent(server("42703", "column \"pgt_buffer_1\" does not exist")))
        .isTrue();
  }

  private static PSQLException server(String sqlState, String message) {
    return new PSQLException(
        new ServerErrorMessage("SERROR\u0000C" + sqlState + "\u0000M" + message + "\u0000"));
  }

  @Test
  void aFaultOfTheEngineCountsUnlessATransientFailureCausedIt() {
    assertThat(RefreshErrors.engineFault(new IllegalStateException("select-list entry"))).isTrue();
    assertThat(RefreshErrors.engineFault(new NullPointerException())).isTrue();
    assertThat(
            RefreshErrors.engineFault(
                new IllegalStateException(
                    "wrapped", new SQLException("column x does not exist", "42703"))))
        .isTrue();
    assertThat(
            RefreshErrors.engineFault(
                new RuntimeException(
                    new PSQLException("An I/O error occurred", PSQLState.CONNECTION_FAILURE))))
        .isFalse();
    assertThat(
            RefreshErrors.engineFault(
                new RuntimeException(
                    new IllegalStateException(new SQLException("could not serialize", "40001")))))
        .isFalse();
    assertThat(RefreshErrors.message(new IllegalStateException("select-list entry without a name")))
        .isEqualTo(
            "refresh failed: internal error of the worker: java.lang.IllegalStateException:"
                + " select-list entry without a name");
  }
}
