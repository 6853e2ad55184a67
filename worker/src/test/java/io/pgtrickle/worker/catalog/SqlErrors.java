package io.pgtrickle.worker.catalog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import org.postgresql.util.PSQLException;
import org.postgresql.util.ServerErrorMessage;

/** Assertions on the errors PostgreSQL returns for a statement. */
final class SqlErrors {

  private SqlErrors() {}

  /**
   * Runs {@code sql} in its own transaction on {@code c} (autocommit) and asserts that it fails
   * with {@code sqlState} and a message containing every one of {@code fragments}.
   *
   * @return the server's error, for further checks (position, detail, hint)
   */
  static ServerErrorMessage assertFails(
      Connection c, String sql, String sqlState, String... fragments) {
    try (Statement s = c.createStatement()) {
      s.execute(sql);
    } catch (PSQLException e) {
      ServerErrorMessage m = e.getServerErrorMessage();
      assertThat(e.getSQLState()).as("SQLSTATE of %s: %s", sql, e.getMessage()).isEqualTo(sqlState);
      for (String f : fragments) {
        assertThat(m.getMessage() + "\n" + m.getDetail() + "\n" + m.getHint())
            .as("error of %s", sql)
            .contains(f);
      }
      assertThat(e.getMessage()).doesNotContain("at io.pgtrickle", "Exception");
      return m;
    } catch (SQLException e) {
      fail("unexpected error for " + sql + ": " + e);
    }
    return fail("expected SQLSTATE " + sqlState + " from " + sql + " but it succeeded");
  }
}
