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
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ingest loop: while this worker holds the ingest lease, it runs {@link IngestRound}s, paced by
 * demand. A refresh waiting for its LSN wakes it ({@link IngestDemand}) and keeps it going until
 * every captured source reached that LSN (or the request expires): a round as soon as the slots
 * have confirmed the LSN ({@link #pace}); otherwise it runs a round every {@code ingestInterval}.
 * Every {@code bufferCleanupInterval} it also deletes buffer rows every reader passed ({@link
 * BufferPruner}) and drops the buffers of sources nobody reads; every {@code
 * historyCleanupInterval}, refresh-history rows past the retention ({@link HistoryRetention}).
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
  private final IngestRequests requests;
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
    this.requests = new IngestRequests(config.refreshWaitTimeout().toNanos());
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
        IngestRound.Result r = round.run(requests.highest(System.nanoTime()));
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

  /**
   * Paces the rounds. Nobody waiting: the next round after {@code ingestInterval}, or at once when
   * a refresh asks. A refresh waiting for an LSN L that a captured source has not reached: if that
   * source's slot had not confirmed L when the round began (the CDC is still carrying it), no round
   * can reach L before the slot confirms it, so the loop polls the slots' positions (one cheap
   * statement every 2 ms, at most {@code ingestInterval}) and starts the next round the moment they
   * have; rounds run back to back instead, the round in progress when the slot confirmed would make
   * the refresh wait for the next one too. Otherwise (the round stopped with more in the log) the
   * next round starts at once.
   */
  private void pace(IngestRound.Result r) throws SQLException {
    Map<Long, Lsn> captured = new HashMap<>();
    r.captured().forEach(oid -> captured.put(oid, r.ingested().get(oid)));
    requests.reached(captured);
    Lsn next = requests.lowest(System.nanoTime());
    if (next == null) {
      requests.add(demand.await((int) config.ingestInterval().toMillis()), System.nanoTime());
      return;
    }
    Set<Long> unmet = new HashSet<>();
    boolean slotsBehind = r.drained();
    for (var e : captured.entrySet()) {
      if (e.getValue() == null || e.getValue().compareTo(next) < 0) {
        unmet.add(e.getKey());
        Lsn c = r.confirmed().get(e.getKey());
        slotsBehind &= c == null || c.compareTo(next) < 0;
      }
    }
    requests.add(demand.await(2), System.nanoTime());
    if (unmet.isEmpty() || !slotsBehind) {
      return;
    }
    long deadline = System.nanoTime() + config.ingestInterval().toNanos();
    while (!stopped && System.nanoTime() - deadline < 0) {
      Lsn lowest = requests.lowest(System.nanoTime());
      if (lowest == null || TrackedSources.confirmed(conn, unmet, lowest)) {
        return;
      }
      requests.add(demand.await(2), System.nanoTime());
    }
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
