package io.pgtrickle.cdc.it;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import org.postgresql.PGConnection;
import org.postgresql.PGProperty;
import org.postgresql.replication.LogSequenceNumber;
import org.postgresql.replication.PGReplicationStream;

/**
 * A physical replication client that the primary treats as a synchronous standby (its {@code
 * application_name} is in {@code synchronous_standby_names}), and whose reported flush position the
 * test holds back or lets follow what it received: PostgreSQL's own synchronous replication
 * protocol, with the standby's timing in the test's hands.
 */
public final class ScriptedStandby implements AutoCloseable {

  private final Connection connection;
  private final PGReplicationStream stream;
  private final Thread thread;
  private final AtomicBoolean holding = new AtomicBoolean();
  private volatile boolean closed;
  private volatile LogSequenceNumber reported;

  private ScriptedStandby(Connection connection, PGReplicationStream stream) {
    this.connection = connection;
    this.stream = stream;
    this.reported = stream.getLastReceiveLSN();
    this.thread = new Thread(this::run, "scripted-standby");
    thread.setDaemon(true);
    thread.start();
  }

  /** Connects to {@code db} as a physical standby named {@code name}, from its current position. */
  public static ScriptedStandby start(SourceDb db, String name) throws SQLException {
    String from = db.queryOne("SELECT pg_current_wal_flush_lsn()::text");
    Connection c = physicalReplication(db, name);
    PGReplicationStream stream =
        c.unwrap(PGConnection.class)
            .getReplicationAPI()
            .replicationStream()
            .physical()
            .withStartPosition(LogSequenceNumber.valueOf(from))
            .withStatusInterval(50, TimeUnit.MILLISECONDS)
            .withAutomaticFlush(false)
            .start();
    return new ScriptedStandby(c, stream);
  }

  /**
   * A physical replication connection to {@code db} as user {@code postgres}.
   *
   * @param name its {@code application_name}
   */
  public static Connection physicalReplication(SourceDb db, String name) throws SQLException {
    Properties p = new Properties();
    PGProperty.USER.set(p, "postgres");
    PGProperty.APPLICATION_NAME.set(p, name);
    PGProperty.REPLICATION.set(p, "true");
    PGProperty.ASSUME_MIN_SERVER_VERSION.set(p, "10");
    PGProperty.PREFER_QUERY_MODE.set(p, "simple");
    return DriverManager.getConnection(db.jdbcUrl(), p);
  }

  /** From now on the reported flush position stays where it is: commits wait for it. */
  public void hold() {
    holding.set(true);
  }

  /** The reported flush position follows what was received again. */
  public void release() {
    holding.set(false);
  }

  /**
   * Reads WAL (and drops it: only positions matter) and reports every millisecond what was received
   * as flushed, as a standby with an instant disk would, unless held.
   */
  private void run() {
    try {
      while (!closed) {
        stream.readPending();
        if (!holding.get()) {
          reported = stream.getLastReceiveLSN();
        }
        stream.setFlushedLSN(reported);
        stream.setAppliedLSN(reported);
        stream.forceUpdateStatus();
        LockSupport.parkNanos(1_000_000);
      }
    } catch (SQLException e) {
      closed = true; // the primary stopped, or close(): either way the standby is gone
    }
  }

  @Override
  public void close() throws InterruptedException {
    closed = true;
    thread.join(5000);
    try {
      stream.close();
    } catch (SQLException e) {
      // the primary stopped: the stream is gone already
    }
    try {
      connection.close();
    } catch (SQLException e) {
      // likewise
    }
  }
}
