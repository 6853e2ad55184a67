package io.pgtrickle.changelog.postgres;

import io.pgtrickle.changelog.ChangeLogException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A fixed set of JDBC connections, one per worker thread of the backend. A connection that broke
 * (server restarted, network cut) is dropped and replaced on next use, and the statement is tried
 * once more: every operation of the backend is idempotent, so a retry is safe.
 */
final class PgConnections implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(PgConnections.class);

  /** Work done on one connection inside one transaction. */
  @FunctionalInterface
  interface SqlWork<T> {
    T run(Connection connection) throws SQLException;
  }

  private final String url;
  private final Properties properties;
  private final BlockingQueue<Slot> slots;
  private final List<Slot> all = new ArrayList<>();

  private static final class Slot {
    Connection connection;
  }

  PgConnections(String url, Properties properties, int size) {
    this.url = url;
    this.properties = properties;
    this.slots = new ArrayBlockingQueue<>(size);
    for (int i = 0; i < size; i++) {
      Slot slot = new Slot();
      all.add(slot);
      slots.add(slot);
    }
  }

  /** Opens a connection now, so that a wrong URL or an unreachable server fails at open. */
  Connection connect() throws SQLException {
    Connection c = DriverManager.getConnection(url, properties);
    try {
      // A prune of a long backlog or a large read must not be cancelled by the database's limits
      // for applications (retried, it would be cancelled again).
      SessionLimits.off(c);
      c.setAutoCommit(false);
    } catch (SQLException e) {
      c.close();
      throw e;
    }
    return c;
  }

  /** Runs {@code work} in one transaction, committed when it returns. */
  <T> T inTransaction(SqlWork<T> work) {
    return withConnection(work, false);
  }

  /**
   * Runs {@code work} with auto-commit: each statement is a transaction of its own, committed
   * before the server answers it (one round trip fewer than a statement and a {@code COMMIT}).
   */
  <T> T autoCommitted(SqlWork<T> work) {
    return withConnection(work, true);
  }

  private <T> T withConnection(SqlWork<T> work, boolean autoCommit) {
    Slot slot;
    try {
      slot = slots.take();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ChangeLogException("interrupted while waiting for a PostgreSQL connection", e);
    }
    try {
      try {
        return attempt(slot, work, autoCommit);
      } catch (SQLException first) {
        if (!isConnectionFailure(first)) {
          throw first;
        }
        LOG.warn("PostgreSQL connection failed ({}); reconnecting once", first.getMessage());
        discard(slot);
        return attempt(slot, work, autoCommit);
      }
    } catch (SQLException e) {
      throw new ChangeLogException("PostgreSQL change log: " + e.getMessage(), e);
    } finally {
      slots.add(slot);
    }
  }

  private <T> T attempt(Slot slot, SqlWork<T> work, boolean autoCommit) throws SQLException {
    if (slot.connection == null) {
      slot.connection = connect();
    }
    Connection c = slot.connection;
    if (autoCommit) {
      // Between transactions both switches are local to the driver: no round trip.
      c.setAutoCommit(true);
      try {
        return work.run(c);
      } finally {
        if (slot.connection != null && !c.isClosed()) {
          c.setAutoCommit(false);
        }
      }
    }
    try {
      T result = work.run(c);
      c.commit();
      return result;
    } catch (SQLException | RuntimeException e) {
      if (!isConnectionFailure(e)) {
        try {
          c.rollback();
        } catch (SQLException rollbackFailure) {
          e.addSuppressed(rollbackFailure);
          discard(slot);
        }
      }
      throw e;
    }
  }

  private static boolean isConnectionFailure(Exception e) {
    // SQLSTATE class 08 is "connection exception"; 57P01..03 are admin shutdown / crash.
    if (e instanceof SQLException sql && sql.getSQLState() != null) {
      String state = sql.getSQLState();
      return state.startsWith("08") || state.startsWith("57P");
    }
    return false;
  }

  private static void discard(Slot slot) {
    if (slot.connection != null) {
      try {
        slot.connection.close();
      } catch (SQLException ignored) {
        // The connection is already broken; closing is best effort.
      }
      slot.connection = null;
    }
  }

  @Override
  public void close() {
    for (Slot slot : all) {
      discard(slot);
    }
  }
}
