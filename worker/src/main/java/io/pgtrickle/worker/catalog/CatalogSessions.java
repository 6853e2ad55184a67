package io.pgtrickle.worker.catalog;

import io.pgtrickle.changelog.postgres.SessionLimits;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.Statement;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * The sessions the catalog's migrations (Flyway) run on: a {@link DataSource} whose every
 * connection, before it is handed out,
 *
 * <ul>
 *   <li>has the database's time limits for application sessions turned off ({@link SessionLimits}),
 *       so an administrator's {@code statement_timeout} or {@code
 *       idle_in_transaction_session_timeout} cannot cancel a catalog install or upgrade (on the
 *       demo's database with a 1 ms limit the worker never started);
 *   <li>receives no notices ({@code client_min_messages = warning}): Flyway logs each notice a
 *       migration raises as a WARN, and every fresh install logged "schema "pgtrickle" already
 *       exists, skipping" (the first migration's {@code CREATE SCHEMA IF NOT EXISTS} after Flyway
 *       had created the schema), a warning about nothing.
 * </ul>
 *
 * <p>Replaces Flyway's {@code initSql}, which Flyway 10 deprecates (a WARN three times per worker
 * start), and its {@code afterConnect} callback, which runs after Flyway's first statement on the
 * connection.
 *
 * <p>Errors: a connection on which the limits cannot be turned off is closed and the {@link
 * SQLException} thrown, as if the connection had failed.
 */
final class CatalogSessions implements DataSource {

  /** Notices are not sent to the session (warnings and errors are). */
  static final String QUIET = "SET client_min_messages = warning";

  private final DataSource delegate;

  CatalogSessions(DataSource delegate) {
    this.delegate = delegate;
  }

  @Override
  public Connection getConnection() throws SQLException {
    return prepared(delegate.getConnection());
  }

  @Override
  public Connection getConnection(String username, String password) throws SQLException {
    return prepared(delegate.getConnection(username, password));
  }

  private static Connection prepared(Connection c) throws SQLException {
    try {
      SessionLimits.off(c);
      try (Statement s = c.createStatement()) {
        s.execute(QUIET);
      }
      return c;
    } catch (SQLException | RuntimeException e) {
      try {
        c.close();
      } catch (SQLException closing) {
        e.addSuppressed(closing);
      }
      throw e;
    }
  }

  @Override
  public PrintWriter getLogWriter() throws SQLException {
    return delegate.getLogWriter();
  }

  @Override
  public void setLogWriter(PrintWriter out) throws SQLException {
    delegate.setLogWriter(out);
  }

  @Override
  public void setLoginTimeout(int seconds) throws SQLException {
    delegate.setLoginTimeout(seconds);
  }

  @Override
  public int getLoginTimeout() throws SQLException {
    return delegate.getLoginTimeout();
  }

  @Override
  public Logger getParentLogger() throws SQLFeatureNotSupportedException {
    return delegate.getParentLogger();
  }

  @Override
  public <T> T unwrap(Class<T> type) throws SQLException {
    if (type.isInstance(this)) {
      return type.cast(this);
    }
    return delegate.unwrap(type);
  }

  @Override
  public boolean isWrapperFor(Class<?> type) throws SQLException {
    return type.isInstance(this) || delegate.isWrapperFor(type);
  }
}
