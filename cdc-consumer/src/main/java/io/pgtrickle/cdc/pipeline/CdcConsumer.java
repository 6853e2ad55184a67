package io.pgtrickle.cdc.pipeline;

import io.pgtrickle.cdc.config.CdcConfig;
import io.pgtrickle.cdc.slot.SlotManager;
import io.pgtrickle.cdc.slot.SourceConnections;
import io.pgtrickle.cdc.slot.StaleSlotCopies;
import io.pgtrickle.changelog.ChangeLogBackend;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.OptionalLong;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;
import org.postgresql.PGConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The consumer: sets up the publication and slot, runs {@link ReplicationSession}s one after the
 * other with backoff in between (a lost connection, a failover, a restarted primary), and polls the
 * slot lag for the liveness probe and metrics. {@link #run()} blocks until {@link #stop()}.
 */
public final class CdcConsumer implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(CdcConsumer.class);

  private final CdcConfig config;
  private final SourceConnections connections;
  private final SlotManager slots;
  private final StaleSlotCopies staleSlotCopies;
  private final ConsumerState state;
  private final CdcMetrics metrics;
  private final Publisher publisher;
  private final ScheduledExecutorService lagPoller =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "cdc-lag-poller");
            t.setDaemon(true);
            return t;
          });
  private volatile boolean stopping;
  private volatile Thread runner;
  private boolean streamedBefore;
  private Connection lagConnection;

  /**
   * Creates the consumer; nothing connects until {@link #run()}.
   *
   * @param config the settings
   * @param changeLog the open change log to publish to; closed by the caller
   * @param state health state to update
   * @param metrics metrics to update
   * @param lagMicros receives each transaction's end-to-end lag in microseconds, or {@code null}
   */
  public CdcConsumer(
      CdcConfig config,
      ChangeLogBackend changeLog,
      ConsumerState state,
      CdcMetrics metrics,
      LongConsumer lagMicros) {
    this.config = config;
    this.connections = new SourceConnections(config);
    this.slots =
        new SlotManager(
            config.slot(), config.publication(), config.tables(), config.failoverSlot());
    this.staleSlotCopies =
        new StaleSlotCopies(
            config.slot(),
            connections::adminAt,
            StaleSlotCopies.Members.resolving(config.sourceMembers()));
    this.state = state;
    this.metrics = metrics;
    this.publisher =
        new Publisher(
            changeLog,
            metrics,
            state,
            config.reconnectMin(),
            config.reconnectMax(),
            lagMicros,
            new SynchronousCommitGate(connections, state));
  }

  /** Streams until {@link #stop()}, reconnecting with backoff after every failure. */
  public void run() {
    runner = Thread.currentThread();
    lagPoller.scheduleWithFixedDelay(this::pollLag, 0, 2, TimeUnit.SECONDS);
    if (config.failoverSlot()) {
      lagPoller.scheduleWithFixedDelay(this::dropStaleSlotCopies, 5, 10, TimeUnit.SECONDS);
    }
    Backoff backoff = new Backoff(config.reconnectMin(), config.reconnectMax());
    while (!stopping) {
      try {
        prepare();
        try (Connection c = connections.replication()) {
          startSession(c);
          new ReplicationSession(config, publisher, () -> stopping)
              .run(
                  c.unwrap(PGConnection.class),
                  () -> {
                    state.streaming(true);
                    state.lastError("");
                    backoff.reset();
                    streamedBefore = true;
                  });
        }
      } catch (InterruptedException e) {
        if (!stopping) {
          LOG.warn("interrupted while streaming; stopping");
        }
        break;
      } catch (SQLException | RuntimeException e) {
        state.streaming(false);
        state.lastError(e.toString());
        publisher.discardQueued();
        if (stopping) {
          break;
        }
        long wait = backoff.nextMillis();
        metrics.reconnects.increment();
        LOG.warn("replication stream ended, reconnecting in {} ms: {}", wait, e.toString());
        if (!sleep(wait)) {
          break;
        }
      }
    }
    state.streaming(false);
  }

  /**
   * Tells the publisher which walsender and server this session streams from: the replication
   * connection can still run plain SQL before it starts streaming.
   */
  private void startSession(Connection replication) throws SQLException {
    String host = null;
    int port = 0;
    try (Statement s = replication.createStatement();
        ResultSet rs = s.executeQuery("SELECT host(inet_server_addr()), inet_server_port()")) {
      if (rs.next() && rs.getString(1) != null) {
        host = rs.getString(1);
        port = rs.getInt(2);
      }
    }
    publisher.sessionStarted(replication.unwrap(PGConnection.class).getBackendPID(), host, port);
  }

  /** Publication and slot, on every (re)connect: after a failover the new primary may lack them. */
  private void prepare() throws SQLException {
    try (Connection c = connections.admin()) {
      slots.ensurePublication(c);
      if (slots.ensureSlot(c) && streamedBefore) {
        LOG.error(
            "replication slot {} was missing after a reconnect and was created again: changes"
                + " committed between the last confirmed position and now are not in the change log"
                + " (a failover to a standby without a failover or permanent slot?)",
            config.slot());
      }
    }
  }

  private void pollLag() {
    try {
      OptionalLong lag = slots.lagBytes(lagConnection());
      state.slotLagBytes(lag.orElse(-1));
    } catch (SQLException | RuntimeException e) {
      state.slotLagBytes(-1);
      closeLagConnection();
    }
  }

  /** Runs on the lag poller's thread, so it shares the connection to the primary. */
  private void dropStaleSlotCopies() {
    try {
      staleSlotCopies.dropOnStandbys(lagConnection());
    } catch (SQLException | RuntimeException e) {
      LOG.debug("stale slot copies not checked this round: {}", e.toString());
      closeLagConnection();
    }
  }

  private Connection lagConnection() throws SQLException {
    if (lagConnection == null || lagConnection.isClosed()) {
      lagConnection = connections.admin();
    }
    return lagConnection;
  }

  private void closeLagConnection() {
    if (lagConnection != null) {
      try {
        lagConnection.close();
      } catch (SQLException ignored) {
        // Broken already; a new one is opened on the next poll.
      }
      lagConnection = null;
    }
  }

  private boolean sleep(long millis) {
    try {
      Thread.sleep(millis);
      return true;
    } catch (InterruptedException e) {
      return false;
    }
  }

  /** Asks {@link #run()} to publish what it read, confirm, and return. */
  public void stop() {
    stopping = true;
    Thread t = runner;
    if (t != null && !state.streaming()) {
      t.interrupt(); // only a backoff sleep to cut short; a stream finishes its round first
    }
  }

  /**
   * The health state this consumer updates.
   *
   * @return the state
   */
  public ConsumerState state() {
    return state;
  }

  @Override
  public void close() {
    stop();
    publisher.close();
    lagPoller.shutdownNow();
    closeLagConnection();
  }
}
