package io.pgtrickle.cdc.pipeline;

import io.pgtrickle.cdc.config.SourceRefusedException;
import io.pgtrickle.cdc.slot.SourceConnections;
import io.pgtrickle.changelog.Lsn;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
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
 * whichever of them Patroni promotes has it. Without synchronous replication a failover may lose
 * commits the primary acknowledged, and the consumer keeps out of the change log what it can,
 * within a bound (below).
 *
 * <p>The standby positions are read on the server the replication session streams from, connecting
 * to its own address (as the replication connection reported it), not through the URL's host name:
 * a new primary's positions after a failover would open the gate for a transaction of the old
 * timeline, and a Service stops routing to a primary that is shutting down. Each query also checks
 * that the session's walsender (its backend pid) is there. A batch that cannot be cleared for the
 * silence limit (30 s) ends the session (see ReplicationSession), as silence would.
 *
 * <p>A server shutting down cleanly refuses new connections, so the standbys cannot be asked, while
 * the session's walsender waits for the consumer to confirm what it sent before it exits: held
 * back, a batch would hold up the shutdown (a switchover, a deleted pod). The gate then ends the
 * session instead ({@link Outcome#SOURCE_STOPPING}): the walsender exits at once, and what the
 * standbys had not confirmed is dropped here and read again from the next primary, if it has it.
 * Publishing it instead would assume the standbys receive everything before the server stops, which
 * holds only for standbys still connected: a test saw both standbys disconnect 300 ms before the
 * shutdown (their Patroni lost sight of the leader's pod) and a transaction only the old primary
 * had reach the change log.
 *
 * <p>Without synchronous replication a batch waits, for a bounded time, until the most advanced
 * streaming physical standby flushed it ({@link AsyncStandbys}): the standby Patroni promotes after
 * a crash then has it.
 *
 * <p>Seeing other users' walsender positions needs {@code pg_read_all_stats} (or {@code
 * pg_monitor}). Without it the gate stays closed and says so: it cannot tell a durable transaction
 * from one a failover would take back.
 */
final class SynchronousCommitGate implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(SynchronousCommitGate.class);

  // One round trip: the setting, whether our walsender is on this server, the lowest flush
  // position among synchronous standbys, and how many walsenders hide their details from us.
  // Without pg_read_all_stats PostgreSQL shows only the pid of every walsender (sync_state too is
  // NULL), so a hidden standby cannot be told from an asynchronous one: any hidden row counts.
  private static final String QUERY =
      "SELECT current_setting('synchronous_standby_names'),"
          + " EXISTS (SELECT 1 FROM pg_stat_replication WHERE pid = ?),"
          + " (SELECT min(flush_lsn) FROM pg_stat_replication"
          + "   WHERE sync_state IN ('sync', 'quorum'))::text,"
          + " (SELECT count(*) FROM pg_stat_replication WHERE sync_state IS NULL),"
          + AsyncStandbys.SQL;

  /**
   * The wait between polls for the first {@link #FAST_POLLS} polls of a batch (a standby's flush
   * normally takes about a millisecond); then it doubles up to {@link #MAX_POLL_NANOS}, so that a
   * standby that stays behind for seconds costs the source a query every 8 ms, not every 1 ms.
   */
  private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

  private static final int FAST_POLLS = 10;
  private static final long MAX_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(8);
  private static final long COMPLAIN_EVERY_NANOS = TimeUnit.SECONDS.toNanos(10);

  private final ConsumerState state;
  private final long asyncHoldNanos;
  private Connection connection;
  private PreparedStatement statement;
  private final AtomicLong sessions = new AtomicLong();
  private volatile int walsenderPid;
  private final SessionServer server;
  private volatile long waitingSince;
  private long session;
  private Lsn durable = Lsn.ZERO;
  private long lastComplaintNanos;
  private boolean refusing;

  /** The physical standbys as the last poll saw them, or null: synchronous replication. */
  private AsyncStandbys asyncStandbys;

  /**
   * A gate.
   *
   * @param connections to the source
   * @param state the health state
   * @param asyncHold without synchronous replication, the longest wait for a standby's flush
   *     ({@link AsyncStandbys}); zero: no wait
   */
  SynchronousCommitGate(SourceConnections connections, ConsumerState state, Duration asyncHold) {
    this.server = new SessionServer(connections);
    this.state = state;
    this.asyncHoldNanos = asyncHold.toNanos();
  }

  /** What became of a batch at the gate. */
  enum Outcome {
    /** On every synchronous standby (or the source does not replicate synchronously): publish. */
    DURABLE,
    /** No longer wanted: its session ended, or the consumer stops. */
    ABANDONED,
    /**
     * The session's walsender is not on its server any more (the server restarted, or its address
     * now belongs to another): the session is dead even if its socket has not noticed yet.
     */
    WALSENDER_GONE,
    /**
     * The session's server is shutting down and cannot be asked: the session should end, so that
     * its walsender exits, and the batch be read again from the next primary.
     */
    SOURCE_STOPPING,
    /**
     * Asynchronous replication, and no standby flushed the batch within the bound, or their
     * positions are hidden: publish, counted as unprotected ({@link AsyncStandbys}).
     */
    UNPROTECTED
  }

  /**
   * A new replication session streams through the walsender with this backend pid, on the server at
   * {@code host}:{@code port} ({@code null} host: reach it through the source URL).
   */
  void session(int pid, String host, int port) {
    server.at(host, port);
    walsenderPid = pid;
    sessions.incrementAndGet();
  }

  /** How long the batch at the gate has been waiting, in nanoseconds; 0 when none waits. */
  long waitingNanos() {
    long since = waitingSince;
    return since == 0 ? 0 : System.nanoTime() - since;
  }

  /**
   * Waits until {@code position} is on every synchronous standby, or the source does not replicate
   * synchronously.
   *
   * @param position the position a batch needs durable
   * @param receivedNanos when the batch's first event arrived ({@link System#nanoTime()}): the
   *     asynchronous hold counts from there
   * @param abandoned true once the batch is no longer wanted (its session ended, or stopping)
   */
  Outcome awaitDurable(Lsn position, long receivedNanos, BooleanSupplier abandoned)
      throws InterruptedException {
    int pid = currentSessionPid();
    if (!position.isAfter(durable)) {
      return Outcome.DURABLE;
    }
    waitingSince = System.nanoTime();
    long pause = POLL_NANOS;
    int polls = 0;
    try {
      while (true) {
        if (abandoned.getAsBoolean()) {
          return Outcome.ABANDONED;
        }
        Poll poll = poll(pid, position);
        if (poll == Poll.WALSENDER_GONE) {
          return Outcome.WALSENDER_GONE;
        }
        if (poll == Poll.SOURCE_STOPPING) {
          return Outcome.SOURCE_STOPPING;
        }
        if (!position.isAfter(durable)) {
          return Outcome.DURABLE;
        }
        AsyncStandbys standbys = asyncStandbys;
        if (poll == Poll.SEEN
            && standbys != null
            && standbys.decide(position, System.nanoTime() - receivedNanos, asyncHoldNanos)
                == AsyncStandbys.Decision.PUBLISH_UNPROTECTED) {
          return Outcome.UNPROTECTED;
        }
        TimeUnit.NANOSECONDS.sleep(pause);
        if (++polls >= FAST_POLLS) {
          pause = Math.min(MAX_POLL_NANOS, pause * 2);
        }
      }
    } finally {
      waitingSince = 0;
    }
  }

  /**
   * Asks once, without waiting, whether {@code position} is durable, so that the batch holding it
   * passes {@link #awaitDurable} without a round trip of its own: called while a batch is being
   * published, for the next queued batch or the one the replication session is still building (its
   * commits received so far). The same query as {@link #awaitDurable}, after what it asks about was
   * received, so it proves the same; any answer but "durable" is left for {@link #awaitDurable} to
   * find again.
   *
   * @param position the position the next batch needs durable
   */
  void lookAhead(Lsn position) {
    int pid = currentSessionPid();
    if (position.isAfter(durable)) {
      poll(pid, position);
    }
  }

  /**
   * The current session's walsender pid, after forgetting what the previous session's server had
   * durable (it says nothing about this one's, and a connection opened before this session may
   * reach another server). Only the publisher thread calls the gate, so its fields need no
   * synchronisation.
   */
  private int currentSessionPid() {
    // session() writes the pid before counting the session: read in the opposite order, the pid
    // is never older than the count.
    long current = sessions.get();
    int pid = walsenderPid;
    if (session != current) {
      session = current;
      durable = Lsn.ZERO;
      close();
    }
    return pid;
  }

  private enum Poll {
    SEEN,
    UNKNOWN,
    WALSENDER_GONE,
    SOURCE_STOPPING
  }

  /** Reads the durable position into {@link #durable}, or tells why it cannot. */
  private Poll poll(int pid, Lsn position) {
    try {
      if (connection == null || connection.isClosed()) {
        connection = server.open();
        statement = connection.prepareStatement(QUERY);
      }
      statement.setInt(1, pid);
      try (ResultSet rs = statement.executeQuery()) {
        rs.next();
        String standbyNames = rs.getString(1);
        boolean sameServer = rs.getBoolean(2);
        String lowestFlush = rs.getString(3);
        long hidden = rs.getLong(4);
        AsyncStandbys physical = AsyncStandbys.parse(rs.getString(5));
        if (!sameServer) {
          // This connection was opened during the session, to the session's server: it
          // restarted, or the address now belongs to another one.
          close();
          return Poll.WALSENDER_GONE;
        }
        if (standbyNames == null || standbyNames.isBlank()) {
          asyncStandbys = physical;
          if (physical.mostAdvancedFlush() != null) {
            durable = Lsn.max(durable, physical.mostAdvancedFlush());
          }
          if (physical.decide(position, 0, asyncHoldNanos) == AsyncStandbys.Decision.PUBLISH) {
            durable = Lsn.max(durable, position);
          }
          accepted();
          return Poll.SEEN;
        }
        asyncStandbys = null;
        if (hidden > 0) {
          refuse(SourceRefusedException.standbysHidden(connection.getMetaData().getUserName()));
          return Poll.UNKNOWN;
        }
        if (lowestFlush == null) {
          return Poll.UNKNOWN; // no synchronous standby connected: commits wait, and so do we
        }
        durable = Lsn.max(durable, Lsn.parse(lowestFlush));
        accepted();
        return Poll.SEEN;
      }
    } catch (SQLException e) {
      close();
      if (SessionServer.shuttingDown(e)) {
        LOG.info(
            "the source is shutting down: ending the session so that its walsender can exit; what"
                + " its synchronous standbys had not confirmed is read again from the next primary");
        return Poll.SOURCE_STOPPING;
      }
      if (e instanceof SourceRefusedException) {
        refuse(e.getMessage()); // say, password changed on the source: not ready, not stuck
        return Poll.UNKNOWN;
      }
      complain("cannot read the synchronous standbys' positions, retrying: " + e);
      return Poll.UNKNOWN;
    } catch (RuntimeException e) {
      complain("cannot read the synchronous standbys' positions, retrying: " + e);
      close();
      return Poll.UNKNOWN;
    }
  }

  /**
   * Whether the current session's server is shutting down ({@link SessionServer#stopping}). The
   * publisher asks after a publish failed: a change log on the source's own server (the PostgreSQL
   * change log of a StreamTableCluster) refuses publishes from the moment its shutdown starts,
   * while the session's walsender waits for the consumer to confirm what it sent before it exits.
   * Retrying the publish would then hold the shutdown up until Patroni gives up waiting (a
   * switchover took 2 minutes); ending the session lets the walsender exit at once, and the batch
   * is read again from the next primary, if it has it.
   *
   * @return {@code true} if the session's server refused a connection because it is shutting down
   */
  boolean sourceStopping() {
    currentSessionPid();
    return server.stopping();
  }

  /**
   * The source refuses what the gate needs for good: {@code /readyz} names the fix, and the wait
   * does not count as stuck ({@link ConsumerState#refused()}).
   */
  private void refuse(String message) {
    refusing = true;
    state.refused(message);
    complain(message);
  }

  private void accepted() {
    if (refusing) {
      refusing = false;
      state.refused("");
      LOG.info("the synchronous standbys' positions are readable again");
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
