package io.pgtrickle.worker.runtime;

import java.io.IOException;
import java.sql.SQLException;

/**
 * Tells a server that cannot be reached yet (a retry may succeed) from a wrong setting.
 *
 * <p>The change-log library reports both as {@code ChangeLogConfigException} naming the setting
 * (its backends' shared contract); the worker looks at the cause to decide whether to wait: a
 * PostgreSQL server that is starting, failing over or refusing connections for now must not make a
 * worker exit as misconfigured and crash-loop.
 */
public final class Reachability {
  private Reachability() {}

  /**
   * Whether an error, or one of its causes, says the server could not be reached or is not
   * accepting connections yet.
   *
   * @param error the error opening a change log or a database connection
   * @return true for an I/O error (refused, timed out, reset) or a PostgreSQL error of class 08
   *     (connection exception), 57P01 to 57P03 (shutting down, starting up) or 53300 (too many
   *     connections), per PostgreSQL's "Errors and Messages" appendix
   */
  public static boolean unreachable(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof IOException) {
        return true;
      }
      if (t instanceof SQLException sql && unreachable(sql.getSQLState())) {
        return true;
      }
    }
    return false;
  }

  /**
   * Whether a SQLSTATE says the server could not be reached or is not accepting connections yet.
   *
   * @param sqlState the state, or {@code null}
   * @return see {@link #unreachable(Throwable)}
   */
  static boolean unreachable(String sqlState) {
    return sqlState != null
        && (sqlState.startsWith("08") || sqlState.startsWith("57P0") || "53300".equals(sqlState));
  }
}
