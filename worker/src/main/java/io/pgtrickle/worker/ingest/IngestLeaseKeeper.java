package io.pgtrickle.worker.ingest;

import io.pgtrickle.worker.db.Database;
import io.pgtrickle.worker.db.Lease;
import io.pgtrickle.worker.runtime.WorkerState;
import java.sql.Connection;
import java.sql.SQLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes and keeps the ingest lease on its own thread and connection: every third of the lease's
 * duration it renews the lease (holder) or tries to take it (everyone else). The holder counts
 * itself as holding only until a margin before the expiry it last wrote, measured on its own
 * monotonic clock from before the renewal was sent, so a renewal that cannot get through makes it
 * stop ingesting before anyone else may start. (The ingest's commits are fenced in the database
 * too: see {@link Lease#fence}.)
 */
public final class IngestLeaseKeeper implements Runnable, AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(IngestLeaseKeeper.class);

  private final Database database;
  private final Lease lease;
  private final WorkerState state;
  private final Object monitor = new Object();
  private volatile long heldUntilNanos = Long.MIN_VALUE;
  private volatile boolean stopped;
  private volatile boolean released;
  private volatile boolean acquiring = true;
  private Connection connection;

  /**
   * Creates the keeper; {@link #run} on a thread of its own.
   *
   * @param database the connection factory
   * @param lease the ingest lease
   * @param state where the probes see whether the lease is held
   */
  public IngestLeaseKeeper(Database database, Lease lease, WorkerState state) {
    this.database = database;
    this.lease = lease;
    this.state = state;
  }

  /**
   * Whether this worker holds the lease now (with a safety margin).
   *
   * @return true if the ingest may run
   */
  public boolean held() {
    return !released && System.nanoTime() < heldUntilNanos;
  }

  /**
   * Waits until the lease is held or the keeper stops.
   *
   * @param millis the longest wait
   * @throws InterruptedException if interrupted
   */
  public void awaitHeld(long millis) throws InterruptedException {
    synchronized (monitor) {
      if (!held() && !stopped) {
        monitor.wait(millis);
      }
    }
  }

  @Override
  public void run() {
    long period = Math.max(100, lease.duration().toMillis() / 3);
    while (!stopped) {
      long sent = System.nanoTime();
      try {
        if (connection == null) {
          connection = database.open("lease", 30);
        }
        boolean wasHeld = held();
        boolean got = (wasHeld || acquiring) && lease.acquireOrRenew(connection);
        if (got) {
          // A quarter of the lease as margin for the round trip and clock rates.
          heldUntilNanos = sent + lease.duration().toNanos() * 3 / 4;
          if (!wasHeld) {
            LOG.info("took the {} lease", lease.name());
          }
        } else if (wasHeld) {
          heldUntilNanos = Long.MIN_VALUE;
          LOG.warn("lost the {} lease to another worker", lease.name());
        }
      } catch (SQLException e) {
        LOG.warn("{} lease: {}", lease.name(), e.getMessage());
        state.error("lease: " + e.getMessage());
        closeConnection();
      }
      state.ingestLease(held());
      synchronized (monitor) {
        monitor.notifyAll();
        if (stopped) {
          break;
        }
        try {
          monitor.wait(period);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
      }
    }
    closeConnection();
  }

  /**
   * Stops taking the lease (draining): a lease already held is still renewed, so the ingest keeps
   * serving the refreshes that are finishing.
   */
  public void stopAcquiring() {
    acquiring = false;
  }

  /**
   * Gives the lease up at once (draining), so another worker takes over without waiting for the
   * expiry. Call after {@link #close} and after the keeper's thread and the ingest ended.
   */
  public void release() {
    released = true;
    heldUntilNanos = Long.MIN_VALUE;
    state.ingestLease(false);
    try (Connection c = database.open("lease-release", 10)) {
      lease.release(c);
      LOG.info("released the {} lease", lease.name());
    } catch (SQLException e) {
      LOG.warn("could not release the {} lease (it expires): {}", lease.name(), e.getMessage());
    }
  }

  @Override
  public void close() {
    stopped = true;
    synchronized (monitor) {
      monitor.notifyAll();
    }
  }

  private void closeConnection() {
    if (connection != null) {
      try {
        connection.close();
      } catch (SQLException ignored) {
        // Already broken.
      }
      connection = null;
    }
  }
}
