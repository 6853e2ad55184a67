package io.pgtrickle.worker.schedule;

import io.pgtrickle.worker.config.WorkerConfig;
import io.pgtrickle.worker.db.Claims;
import io.pgtrickle.worker.db.Database;
import io.pgtrickle.worker.runtime.WorkerMetrics;
import io.pgtrickle.worker.runtime.WorkerState;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The scheduler loop: every {@code schedulerInterval} it reads the catalog, plans the round ({@link
 * DuePlanner}), publishes the queue depth (due stream tables no worker has claimed) and each stream
 * table's lag since its last refresh, and hands ready stream tables to free refresh threads. Every
 * worker runs it; claims ({@link Claims}) make sure only one refreshes a stream table at a time, so
 * work spreads over the workers as their threads free up, and a worker that goes away simply stops
 * taking any.
 *
 * <p>A round that leaves a ready stream table behind because every refresh thread was busy (or
 * because a thread was taken by a table another worker claimed first) does not wait out the
 * interval: the end of any refresh of this worker ({@link #wake}) starts the next round at once, so
 * a due table waits for a free thread, not for the next tick.
 */
public final class Scheduler implements Runnable, AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(Scheduler.class);

  private final WorkerConfig config;
  private final Database database;
  private final RefreshPool pool;
  private final WorkerState state;
  private final WorkerMetrics metrics;
  private final Set<Long> reportedBadSchedules = new HashSet<>();
  private final Semaphore wakeups = new Semaphore(0);
  private volatile boolean stopped;
  private boolean leftBehind;
  private Connection conn;
  private long nextSleepMillis;
  private String lastFailure;
  private long lastFailureLoggedNanos;

  /**
   * Creates the loop; {@link #run} on a thread of its own.
   *
   * @param config the settings
   * @param database the connection factory
   * @param pool the refresh threads
   * @param state the probes' state
   * @param metrics the metrics
   */
  public Scheduler(
      WorkerConfig config,
      Database database,
      RefreshPool pool,
      WorkerState state,
      WorkerMetrics metrics) {
    this.config = config;
    this.database = database;
    this.pool = pool;
    this.state = state;
    this.metrics = metrics;
  }

  @Override
  public void run() {
    while (!stopped) {
      wakeups.drainPermits();
      try {
        round();
        state.schedulerRound(true);
        if (lastFailure != null) {
          LOG.info("scheduler rounds reach the database again");
          lastFailure = null;
        }
      } catch (SQLException | RuntimeException e) {
        // A round every scheduler-interval-ms: the same failure (a refused password) is logged
        // when it changes and once a minute, not ten times a second; /readyz carries it anyway.
        long now = System.nanoTime();
        if (!String.valueOf(e.getMessage()).equals(lastFailure)
            || now - lastFailureLoggedNanos > 60_000_000_000L) {
          LOG.warn("scheduler round failed: {}", e.getMessage());
          lastFailure = String.valueOf(e.getMessage());
          lastFailureLoggedNanos = now;
        }
        state.error("scheduler: " + e.getMessage());
        state.schedulerRound(false);
        closeConnection();
      }
      try {
        if (leftBehind) {
          wakeups.tryAcquire(nextSleepMillis, TimeUnit.MILLISECONDS);
        } else {
          Thread.sleep(nextSleepMillis);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    closeConnection();
  }

  /**
   * Called when a refresh of this worker ended (its thread is free again): starts the next round at
   * once if the last one left a ready stream table behind.
   */
  public void wake() {
    wakeups.release();
  }

  private void round() throws SQLException {
    nextSleepMillis = config.schedulerInterval().toMillis();
    leftBehind = false;
    if (conn == null) {
      conn = database.open("scheduler", 30);
    }
    SchedulerCatalog.View view =
        SchedulerCatalog.read(
            conn,
            (id, problem) -> {
              if (reportedBadSchedules.add(id)) {
                LOG.warn("stream table {} is not scheduled: {}", id, problem);
              }
            });
    Set<Long> claimed = Claims.claimed(conn);
    DuePlanner.Plan plan =
        DuePlanner.plan(view.nodes(), view.manual(), view.now(), config.defaultSchedule());
    // Sleep until the next duration schedule falls due, if that is sooner than the interval.
    nextSleepMillis =
        Math.max(
            1,
            Math.min(
                nextSleepMillis,
                DuePlanner.millisToNextDue(view.nodes(), view.now()).orElse(nextSleepMillis)));
    long unclaimed = plan.due().stream().filter(id -> !claimed.contains(id)).count();
    metrics.queueDepth(unclaimed);
    metrics.streamTableStatuses(
        view.nodes().values().stream()
            .collect(Collectors.groupingBy(DuePlanner.Node::status, Collectors.counting())));
    metrics.ingestLagBytes(view.ingestLagBytes());
    // Valid as long as the loop is not stuck; past that /healthz fails too.
    metrics.streamTableLags(view.lagMs(), view.lagReadNanos(), config.stuckAfter());
    if (state.isDraining()) {
      return;
    }
    for (long id : plan.ready()) {
      if (claimed.contains(id) || !pool.mayStart(id)) {
        continue;
      }
      DuePlanner.Node node = view.nodes().get(id);
      Instant seen =
          node == null || node.dataTimestamp() == null ? Instant.EPOCH : node.dataTimestamp();
      if (!pool.trySubmit(id, plan.manual().contains(id), seen)) {
        leftBehind = true; // every refresh thread is busy: wake when one is free
        break;
      }
    }
  }

  private void closeConnection() {
    if (conn != null) {
      try {
        conn.close();
      } catch (SQLException ignored) {
        // Broken already.
      }
      conn = null;
    }
  }

  /** Ends the loop after the round in progress. */
  @Override
  public void close() {
    stopped = true;
  }
}
