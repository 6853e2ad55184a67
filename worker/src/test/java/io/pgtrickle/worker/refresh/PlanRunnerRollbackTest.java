package io.pgtrickle.worker.refresh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link PlanRunner#rollback}: the plan's failure is what the refresh reports, never the
 * rollback's.
 */
class PlanRunnerRollbackTest {

  @Test
  void aRollbackThatFailsThrowsThePlansFailureWithTheRollbacksSuppressed() {
    SQLException missing = new SQLException("savepoint \"pgt_plan\" does not exist", "3B001");
    SQLException cause = new SQLException("No value specified for parameter 4.", "22023");
    List<String> sent = new ArrayList<>();
    assertThatThrownBy(() -> PlanRunner.rollback(connection(sent, missing), cause)).isSameAs(cause);
    assertThat(cause.getSuppressed()).containsExactly(missing);
    assertThat(sent).containsExactly("ROLLBACK TO SAVEPOINT pgt_plan");
  }

  @Test
  void aRollbackThatWorksThrowsNothing() throws SQLException {
    SQLException cause = new SQLException("division by zero", "22012");
    List<String> sent = new ArrayList<>();
    PlanRunner.rollback(connection(sent, null), cause);
    assertThat(sent).containsExactly("ROLLBACK TO SAVEPOINT pgt_plan");
    assertThat(cause.getSuppressed()).isEmpty();
  }

  /** A connection whose statements record their text and fail with {@code failure} if not null. */
  private static Connection connection(List<String> sent, SQLException failure) {
    Statement statement =
        (Statement)
            Proxy.newProxyInstance(
                Statement.class.getClassLoader(),
                new Class<?>[] {Statement.class},
                (p, m, a) -> {
                  switch (m.getName()) {
                    case "execute" -> {
                      sent.add((String) a[0]);
                      if (failure != null) {
                        throw failure;
                      }
                      return false;
                    }
                    case "close" -> {
                      return null;
                    }
                    default -> throw new UnsupportedOperationException(m.getName());
                  }
                });
    return (Connection)
        Proxy.newProxyInstance(
            Connection.class.getClassLoader(),
            new Class<?>[] {Connection.class},
            (p, m, a) -> {
              if (m.getName().equals("createStatement") && a == null) {
                return statement;
              }
              throw new UnsupportedOperationException(m.getName());
            });
  }
}
