package io.pgtrickle.cdc.it;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * One writer committing numbered transactions into {@code ledger(tx, id)} through a URL that
 * follows the primary, across failovers: transaction {@code k} inserts rows {@code k*10+1 ..
 * k*10+n} (n from 1 to 4). One writer, so commit order is {@code tx} order and the committed
 * history can be read back from the table afterwards. A commit that returned is acknowledged; one
 * that failed may or may not have committed (the connection broke during it), so it is only
 * recorded as uncertain and the writer reconnects and goes on with the next number.
 */
final class LedgerWriter implements AutoCloseable {

  static final String CREATE_TABLE =
      "CREATE TABLE ledger (tx bigint NOT NULL, id bigint PRIMARY KEY, pad text)";

  final Set<Long> acknowledged = ConcurrentHashMap.newKeySet();
  final Set<Long> uncertain = ConcurrentHashMap.newKeySet();
  final AtomicLong failures = new AtomicLong();
  private final String url;
  private final Properties props;
  private final AtomicBoolean stop = new AtomicBoolean();
  private final Thread thread;

  LedgerWriter(String url, String user, String password) {
    this.url = url;
    this.props = new Properties();
    props.setProperty("user", user);
    props.setProperty("password", password);
    props.setProperty("connectTimeout", "2");
    props.setProperty("socketTimeout", "10");
    thread = new Thread(this::run, "ledger-writer");
    thread.start();
  }

  /** Acknowledged transactions so far. */
  long count() {
    return acknowledged.size();
  }

  private void run() {
    long tx = 1;
    while (!stop.get()) {
      try (Connection c = DriverManager.getConnection(url, props);
          // One statement per transaction (PgJDBC's batch path trips an internal assertion when
          // the connection breaks in the middle, and the test JVM runs with -ea).
          PreparedStatement insert =
              c.prepareStatement(
                  "INSERT INTO ledger SELECT ?, ? * 10 + g, repeat('x', 50)"
                      + " FROM generate_series(1, ?) g")) {
        c.setAutoCommit(false);
        while (!stop.get()) {
          insert.setLong(1, tx);
          insert.setLong(2, tx);
          insert.setInt(3, 1 + (int) (tx % 4));
          insert.executeUpdate();
          long committing = tx++;
          try {
            c.commit();
          } catch (SQLException e) {
            uncertain.add(committing);
            throw e;
          }
          acknowledged.add(committing);
          LockSupport.parkNanos(3_000_000);
        }
      } catch (SQLException e) {
        failures.incrementAndGet();
        LockSupport.parkNanos(200_000_000); // a Service without a ready primary: try again soon
      }
    }
  }

  /** Stops; returns once the last transaction finished. */
  @Override
  public void close() {
    stop.set(true);
    try {
      thread.join(60_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
