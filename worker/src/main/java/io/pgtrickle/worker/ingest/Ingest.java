package io.pgtrickle.worker.ingest;

import io.pgtrickle.changelog.ChangeLogBackend;
import io.pgtrickle.changelog.Lsn;
import io.pgtrickle.worker.config.WorkerConfig;
import io.pgtrickle.worker.db.Database;
import io.pgtrickle.worker.db.Lease;
import io.pgtrickle.worker.runtime.WorkerMetrics;
import io.pgtrickle.worker.runtime.WorkerState;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ingest loop: while this worker holds the ingest lease, it runs {@link IngestRound}s, paced by
 * demand. A refresh waiting for its LSN wakes it ({@link IngestDemand}) and keeps it going round
 * every few milliseconds until every captured source reached that LSN (or the request expires);
 * otherwise it runs a round every {@code ingestInterval}. Every {@code bufferCleanupInterval} it
 * also deletes buffer rows every reader passed ({@link BufferPruner}) and drops the buffers of
 * sources nobody reads; every {@code historyCleanupInterval}, refresh-history rows past the
 * retention ({@link HistoryRetention}).
 *
 * <p>Each time the lease is taken the loop opens a new change-log instance (consumer {@code
 * pgtrickle-worker}: one instance at a time, which the lease ensures), and any failure closes it:
 * the next instance starts at the acknowledged positions. Acknowledgments wait until the database's
 * standbys have the ingest commit ({@link AckHoldback}), so after a failover that took commits
 * back, the next session's instance delivers their events again.
 */
public final class Ingest implements Runnable, AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(Ingest.class);

  private final WorkerConfig config;
  private final Database database;
  private final Supplier<ChangeLogBackend> openLog;
  private final Lease lease;
  private final IngestLeaseKeeper keeper;
  private final WorkerState state;
  private final WorkerMetrics metrics;
  private final ChangeBuffers buffers = new ChangeBuffers();
  private final LostCommits lostCommits = new LostCommits();
  private volatile boolean stopped;
  private Connection conn;
  private IngestDemand demand;
  private ChangeLogBackend log;
  private IngestRound round;
  private Lsn wanted;
  private long wantedUntil;
  private long nextPrune;
  private long nextHistoryPrune;

  /**
   * Creates the loop; {@link #run} on a thread of its own.
   *
   * @param config the settings
   * @param database the connection factory
   * @param openLog opens a new change-log instance as the ingest's consumer
   * @param lease the ingest lease
   * @param keeper who takes and renews it
   * @param state the probes' state
   * @param metrics the metrics
   */
  public Ingest(
      WorkerConfig config,
      Database database,
      Supplier<ChangeLogBackend> openLog,
      Lease lease,
      IngestLeaseKeeper keeper,
      WorkerState state,
      WorkerMetrics metrics) {
    this.config = config;
    this.database = database;
    this.openLog = openLog;
    this.lease = lease;
    this.keeper = keeper;
    this.state = state;
    this.metrics = metrics;
  }

  @Override
  public void run() {
    long backoff = 100;
    while (!stopped) {
      try {
        if (!keeper.held()) {
          closeSession();
          keeper.awaitHeld(1000);
          continue;
        }
        openSession();
        long started = System.nanoTime();
        IngestRound.Result r = round.run(activeWanted());
        metrics.ingestRound(r.events(), Duration.ofNanos(System.nanoTime() - started));
        state.ingestProgress();
        pruneIfDue();
        backoff = 100;
        pace(r);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      } catch (Exception e) {
        if (stopped) {
          break;
        }
        LOG.warn(
            "ingest round failed, starting over from the change log's positions: {}", e.toString());
        state.error("ingest: " + e.getMessage());
        closeSession();
        sleep(backoff);
        backoff = Math.min(5_000, backoff * 2);
      }
    }
    closeSession();
  }

  /** Keeps going round quickly while a refresh waits for an LSN not every source reached. */
  private void pace(IngestRound.Result r) throws SQLException {
    Lsn want = activeWanted();
    boolean unmet = false;
    if (want != null) {
      for (long oid : r.captured()) {
        Lsn at = r.ingested().get(oid);
        if (at == null || at.compareTo(want) < 0) {
          unmet = true;
          break;
        }
      }
      if (!unmet) {
        wanted = null;
      }
    }
    int waitMs = unmet ? 2 : (int) config.ingestInterval().toMillis();
    noteDemand(demand.await(waitMs));
  }

  private void noteDemand(Lsn asked) {
    if (asked != null) {
      wanted = wanted == null ? asked : Lsn.max(wanted, asked);
      wantedUntil = System.nanoTime() + config.refreshWaitTimeout().toNanos();
    }
  }

  private Lsn activeWanted() {
    if (wanted != null && System.nanoTime() > wantedUntil) {
      wanted = null;
    }
    return wanted;
  }

  private void pruneIfDue() {
    long now = System.nanoTime();
    if (now < nextPrune) {
      return;
    }
    nextPrune = now + config.bufferCleanupInterval().toNanos();
    try {
      long deleted = 0;
      for (TrackedSources.Source s : TrackedSources.read(conn)) {
        deleted += Math.max(0, BufferPruner.prune(conn, s.oid()));
      }
      int dropped = buffers.dropUntracked(conn);
      if (deleted > 0 || dropped > 0) {
        LOG.debug("pruned {} applied buffer rows, dropped {} unused buffers", deleted, dropped);
      }
    } catch (SQLException e) {
      LOG.warn("pruning the change buffers failed (retried later): {}", e.getMessage());
    }
    if (now >= nextHistoryPrune) {
      nextHistoryPrune = now + config.historyCleanupInterval().toNanos();
      try {
        long deleted =
            HistoryRetention.of(config.historyRetention(), config.historyMaxRows()).prune(conn);
        if (deleted > 0) {
          LOG.debug("deleted {} refresh-history rows past the retention", deleted);
        }
      } catch (SQLException e) {
        LOG.warn("pruning the refresh history failed (retried later): {}", e.getMessage());
      }
    }
  }

  private void openSession() throws SQLException {
    if (round != null) {
      return;
    }
    conn = database.open("ingest", 120);
    demand = new IngestDemand(database.open("ingest-demand", 0));
    log = openLog.get();
    buffers.forget();
    lostCommits.check(conn, lease, buffers);
    round =
        new IngestRound(
            conn,
            log,
            lease,
            buffers,
            emptyPollsMayMiss(config.changeLogUri()),
            state,
            lostCommits,
            new AckHoldback(AckHoldback.DEFAULT_MAX_HOLD));
    LOG.info("ingesting from the change log as consumer {}", log.consumerName());
  }

  /**
   * Whether an empty consume of the backend may hide events that are already in the log: NATS (a
   * pull consumer learns of a stored message asynchronously, so a no-wait fetch right after the
   * publisher's acknowledgment can come back empty). For NATS a source counts as drained only when
   * its lag is 0. Kafka's consume reads the partition up to an end offset fetched during the call
   * (change-log's KafkaReader), so there, as for PostgreSQL and WAL files, an empty batch proves
   * that nothing was in the log when the call began.
   */
  static boolean emptyPollsMayMiss(String uri) {
    return uri.startsWith("nats:");
  }

  private void closeSession() {
    round = null;
    if (log != null) {
      try {
        log.close();
      } catch (RuntimeException e) {
        LOG.debug("closing the change log: {}", e.toString());
      }
      log = null;
    }
    if (demand != null) {
      try {
        demand.close();
      } catch (SQLException ignored) {
        // Broken already.
      }
      demand = null;
    }
    if (conn != null) {
      try {
        conn.close();
      } catch (SQLException ignored) {
        // Broken already.
      }
      conn = null;
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Ends the loop after the round in progress; closes its change-log instance. */
  @Override
  public void close() {
    stopped = true;
  }
}
