package io.pgtrickle.cdc.pipeline;

import io.pgtrickle.cdc.capture.CaptureSet;
import io.pgtrickle.cdc.config.SourceRefusedException;
import io.pgtrickle.cdc.slot.SourceConnections;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the captured tables in step with {@code --tables} and the catalog ({@link CaptureSet#sync})
 * every catalog poll, on a thread and a connection of its own (thread {@code cdc-capture}), and
 * reports rounds that keep failing on {@code /readyz} ({@link ConsumerState#captureProblems}).
 */
final class CaptureSync implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(CaptureSync.class);

  /** Consecutive failed capture rounds after which /readyz reports them. */
  private static final int CAPTURE_FAILURES_REPORTED = 3;

  private final CaptureSet capture;
  private final SourceConnections connections;
  private final ConsumerState state;
  private final BooleanSupplier stopping;
  private final ScheduledExecutorService capturePoller =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "cdc-capture");
            t.setDaemon(true);
            return t;
          });
  private Connection captureConnection;
  private int captureFailures;
  private String captureRefusalLogged;

  /**
   * @param stopping true once the consumer stops (a round in progress then ends early)
   */
  CaptureSync(
      CaptureSet capture,
      SourceConnections connections,
      ConsumerState state,
      BooleanSupplier stopping) {
    this.capture = capture;
    this.connections = connections;
    this.state = state;
    this.stopping = stopping;
  }

  /** Runs a round every {@code every}, the first one after {@code every}. */
  void start(Duration every) {
    long ms = every.toMillis();
    capturePoller.scheduleWithFixedDelay(this::syncCapture, ms, ms, TimeUnit.MILLISECONDS);
  }

  /** One round, on the poller's thread. */
  private void syncCapture() {
    try {
      if (captureConnection == null || captureConnection.isClosed()) {
        captureConnection = connections.admin();
        try (Statement s = captureConnection.createStatement()) {
          s.execute("SET lock_timeout = '10s'"); // ALTER PUBLICATION waits for the table's lock
        }
      }
      capture.sync(captureConnection, stopping);
      captureFailures = 0;
      captureRefusalLogged = null;
    } catch (SourceRefusedException e) {
      // No privilege (on the catalog, or a password changed): say so at once, with the fix.
      closeQuietly(captureConnection);
      captureConnection = null;
      if (!e.getMessage().equals(captureRefusalLogged)) {
        LOG.error("the captured tables cannot be checked: {}", e.getMessage());
        captureRefusalLogged = e.getMessage();
      }
      state.captureProblems(Map.of("(capture)", e.getMessage()));
    } catch (SQLException | RuntimeException e) {
      closeQuietly(captureConnection);
      captureConnection = null;
      // One failed round is a blip (a failover, a lock timeout); a round that keeps failing (say
      // no privilege on the catalog) means tables go uncaptured: say so, on /readyz too.
      if (++captureFailures == CAPTURE_FAILURES_REPORTED
          || (captureFailures > CAPTURE_FAILURES_REPORTED && captureFailures % 60 == 0)) {
        LOG.warn(
            "the captured tables could not be checked {} times: {}", captureFailures, e.toString());
      } else {
        LOG.debug("capture not checked this round: {}", e.toString());
      }
      if (captureFailures >= CAPTURE_FAILURES_REPORTED) {
        state.captureProblems(
            Map.of("(capture)", "the captured tables cannot be checked: " + e.getMessage()));
      }
    }
  }

  private static void closeQuietly(Connection c) {
    if (c != null) {
      try {
        c.close();
      } catch (SQLException ignored) {
        // Broken already; a new one is opened on the next round.
      }
    }
  }

  @Override
  public void close() {
    capturePoller.shutdownNow();
    try {
      capturePoller.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    closeQuietly(captureConnection);
  }
}
