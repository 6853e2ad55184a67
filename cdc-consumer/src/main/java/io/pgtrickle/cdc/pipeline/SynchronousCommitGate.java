package io.pgtrickle.cdc.pipeline;

import io.pgtrickle.cdc.slot.SourceConnections;
import io.pgtrickle.changelog.Lsn;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Holds a transaction back until the source's synchronous standbys have it.
 *
 * <p>A logical walsender sends a transaction as soon as the primary flushed it, before the
 * synchronous standby confirmed it (PostgreSQL 17's {@code synchronized_standby_slots} aside). If
 * the primary dies in between, the standby that takes over never had the transaction: its client
 * never saw the commit succeed, the new primary's history goes on without it, and yet it would be
 * in the change log, at a position of the old timeline that the new primary then reuses. So when
 * the source replicates synchronously ({@code synchronous_standby_names} set), a batch is published
 * only once every synchronous standby reported in {@code pg_stat_replication} flushed past it: then
 * whichever of them Patroni promotes has it. Without synchronous replication there is nothing to
 * wait for (and a failover loses acknowledged commits anyway).
 *
 * <p>The standby positions are read on the server the replication session streams from: each query
 * also checks that the session's walsender (its backend pid) is there. Reading them on a new
 * primary after a failover would open the gate for a transaction of the old timeline.
 *
 * <p>Seeing other users' walsender positions needs {@code pg_read_all_stats} (or {@code
 * pg_monitor}). Without it the gate stays closed and says so: it cannot tell a durable transaction
 * from one a failover would take back.
 */
final class SynchronousCommitGate implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(SynchronousCommitGate.class);

  // One round trip: the setting, whether our walsender is on this server, the lowest flush
  // position among synchronous standbys, and how many of them hide their positions from us.
  private static final String QUERY =
      "SELECT current_setting('synchronous_standby_names'),"
          + " EXISTS (SELECT 1 FROM pg_stat_replication WHERE pid = ?),"
          + " (SELECT min(flush_lsn) FROM pg_stat_replication"
          + "   WHERE sync_state IN ('sync', 'quorum'))::text,"
          + " (SELECT count(*) FROM pg_stat_replication"
          + "   WHERE sync_state IN ('sync', 'quorum') AND flush_lsn IS NULL)";

  private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
  private static final long COMPLAIN_EVERY_NANOS = TimeUnit.SECONDS.toNanos(10);

  private final SourceConnections connections;
  private final ConsumerState state;
  private Connection connection;
  private PreparedStatement statement;
  private volatile int walsenderPid;
  private int durableOnPid;
  private Lsn durable = Lsn.ZERO;
  private long lastComplaintNanos;

  SynchronousCommitGate(SourceConnections connections, ConsumerState state) {
    this.connections = connections;
    this.state = state;
  }

  /** A new replication session streams through the walsender with this backend pid. */
  void session(int pid) {
    walsenderPid = pid;
  }

  /**
   * Waits until {@code position} is on every synchronous standby, or the source does not replicate
   * synchronously.
   *
   * @param position the position a batch needs durable
   * @param abandoned true once the batch is no longer wanted (its session ended, or stopping)
   * @return {@code true} when the batch may be published, {@code false} when abandoned
   */
  boolean awaitDurable(Lsn position, BooleanSupplier abandoned) throws InterruptedException {
    // Only the publisher thread calls this, so durable needs no synchronisation. What was durable
    // on the previous session's server says nothing about this one's.
    if (durableOnPid != walsenderPid) {
      durableOnPid = walsenderPid;
      durable = Lsn.ZERO;
    }
    while (position.isAfter(durable)) {
      if (abandoned.getAsBoolean()) {
        return false;
      }
      Lsn seen = poll(position);
      if (seen != null && !position.isAfter(seen)) {
        durable = seen;
        return true;
      }
      TimeUnit.NANOSECONDS.sleep(POLL_NANOS);
    }
    return true;
  }

  /**
   * The position known durable now, {@code position} itself when the source does not replicate
   * synchronously, or {@code null} when it cannot be told.
   */
  private Lsn poll(Lsn position) {
    int pid = walsenderPid;
    try {
      if (connection == null || connection.isClosed()) {
        connection = connections.admin();
        statement = connection.prepareStatement(QUERY);
      }
      statement.setInt(1, pid);
      try (ResultSet rs = statement.executeQuery()) {
        rs.next();
        String standbyNames = rs.getString(1);
        boolean sameServer = rs.getBoolean(2);
        String lowestFlush = rs.getString(3);
        long hidden = rs.getLong(4);
        if (!sameServer) {
          // Our walsender is elsewhere (a Service now pointing at another member) or gone: the
          // session ends soon; a new connection may reach its server meanwhile.
          close();
          return null;
        }
        if (standbyNames == null || standbyNames.isBlank()) {
          return position;
        }
        if (hidden > 0) {
          complain(
              "the source replicates synchronously but its standbys' positions are hidden from"
                  + " this user: grant it pg_read_all_stats; changes are held back until then");
          return null;
        }
        return lowestFlush == null ? null : Lsn.parse(lowestFlush);
      }
    } catch (SQLException | RuntimeException e) {
      complain("cannot read the synchronous standbys' positions, retrying: " + e);
      close();
      return null;
    }
  }

  private void complain(String message) {
    long now = System.nanoTime();
    if (lastComplaintNanos == 0 || now - lastComplaintNanos >= COMPLAIN_EVERY_NANOS) {
      lastComplaintNanos = now;
      LOG.warn(message);
      state.lastError(message);
    }
  }

  @Override
  public void close() {
    if (connection != null) {
      try {
        connection.close();
      } catch (SQLException ignored) {
        // Broken already; the next poll opens a new one.
      }
      connection = null;
      statement = null;
    }
  }
}
