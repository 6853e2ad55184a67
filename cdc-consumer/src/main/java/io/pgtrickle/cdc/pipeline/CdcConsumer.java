package io.pgtrickle.cdc.pipeline;

import io.pgtrickle.cdc.capture.CaptureSet;
import io.pgtrickle.cdc.config.CdcConfig;
import io.pgtrickle.cdc.config.ConfigException;
import io.pgtrickle.cdc.config.SourceRefusedException;
import io.pgtrickle.cdc.slot.SlotManager;
import io.pgtrickle.cdc.slot.SlotStatus;
import io.pgtrickle.cdc.slot.SourceConnections;
import io.pgtrickle.changelog.ChangeLogBackend;
import io.pgtrickle.changelog.Lsn;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Set;
import java.util.function.LongConsumer;
import org.postgresql.PGConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The consumer: sets up the publication and slot, runs {@link ReplicationSession}s one after the
 * other with backoff in between (a lost connection, a failover, a restarted primary), keeps the
 * captured tables in step with {@code --tables} and the catalog ({@link CaptureSet}, on a thread of
 * its own), and watches the slot for the probes and metrics ({@link SlotWatch}). {@link #run()}
 * blocks until {@link #stop()}.
 *
 * <p>A new slot (the first start, a slot lost in a failover without failover slots, a slot dropped
 * by hand) decodes only what commits after its creation: before creating it, the consumer publishes
 * a GAP event for every captured source at the server's insert position, so the change log says
 * where its history of each source is incomplete, before {@code confirmed_flush_lsn} could suggest
 * otherwise. A slot PostgreSQL invalidated ({@code wal_status = lost}) ends the consumer with
 * {@link SlotLostException}.
 */
public final class CdcConsumer implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(CdcConsumer.class);

  private final CdcConfig config;
  private final SourceConnections connections;
  private final SlotManager slots;
  private final CaptureSet capture;
  private final SlotWatch slotWatch;
  private final ConsumerState state;
  private final CdcMetrics metrics;
  private final Publisher publisher;
  private final TimelineFollower timeline;
  private final CaptureSync captureSync;
  private volatile boolean stopping;
  private volatile Thread runner;
  private boolean streamedBefore;

  /** The slot's confirmed position when {@link #prepare} last found it, or null. */
  private Lsn slotFoundAt;

  private boolean started;
  private volatile String refusalLogged;

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
    this.slots = new SlotManager(config.slot(), config.failoverSlot());
    this.capture =
        new CaptureSet(
            config.slot(),
            config.publication(),
            config.tables(),
            config.catalog(),
            config.ordinal(),
            config.replicas(),
            state::captureProblems);
    this.slotWatch = new SlotWatch(config, connections, slots, state, this::terminate);
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
            new SynchronousCommitGate(connections, state, config.asyncStandbyHold()));
    this.timeline = new TimelineFollower(publisher);
    this.captureSync = new CaptureSync(capture, connections, state, () -> stopping);
  }

  /**
   * Streams until {@link #stop()}, reconnecting with backoff after every failure.
   *
   * @throws ConfigException if a {@code --tables} table cannot be captured, or the source refuses
   *     the user, its password, the database or a privilege ({@link SourceRefusedException}),
   *     before the first stream opened; later such a refusal makes {@code /readyz} fail naming the
   *     fix while the consumer retries
   * @throws SlotLostException if PostgreSQL invalidated the slot
   */
  public void run() {
    runner = Thread.currentThread();
    slotWatch.start();
    Backoff backoff = new Backoff(config.reconnectMin(), config.reconnectMax());
    while (!stopping) {
      try {
        prepare();
        if (stopping) {
          break;
        }
        try (Connection c = connections.replication()) {
          startSession(c);
          if (!timeline.follow(c, slotFoundAt, capture::sources, () -> stopping)) {
            break; // stopping
          }
          new ReplicationSession(config, publisher, state, () -> stopping)
              .run(
                  c,
                  () -> {
                    state.streaming(true);
                    state.lastError("");
                    state.refused("");
                    if (refusalLogged != null) {
                      LOG.info("the source accepts the consumer again: streaming");
                      refusalLogged = null;
                    }
                    backoff.reset();
                    streamedBefore = true;
                  });
        }
      } catch (InterruptedException e) {
        if (!stopping) {
          LOG.warn("interrupted while streaming; stopping");
        }
        break;
      } catch (SourceRefusedException e) {
        state.streaming(false);
        state.walsenderPid(0);
        state.holding(false);
        publisher.discardQueued();
        if (!streamedBefore) {
          throw new ConfigException(e.getMessage()); // at start: exit 2, naming the fix
        }
        // Once running (a privilege revoked, a password changed): not ready, naming the fix, and
        // streaming again as soon as the source accepts. A restart would not fix it.
        state.lastError(e.getMessage());
        state.refused(e.getMessage());
        if (!e.getMessage().equals(refusalLogged)) {
          LOG.error(
              "the source refuses the consumer (retrying until it accepts): {}", e.getMessage());
          refusalLogged = e.getMessage();
        }
        metrics.reconnects.increment();
        if (stopping || !sleep(backoff.nextMillis())) {
          break;
        }
      } catch (ConfigException | SlotLostException e) {
        state.streaming(false);
        if (e instanceof SlotLostException) {
          state.terminal(e.getMessage());
        }
        throw e;
      } catch (SQLException | RuntimeException e) {
        state.streaming(false);
        state.walsenderPid(0);
        state.holding(false);
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
    state.walsenderPid(0);
    if (!state.terminal().isEmpty()) {
      throw new SlotLostException(state.terminal());
    }
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
    int pid = replication.unwrap(PGConnection.class).getBackendPID();
    state.walsenderPid(pid);
    publisher.sessionStarted(pid, host, port);
  }

  /**
   * Publication, tables and slot, on every (re)connect: after a failover the new primary may lack
   * the slot. The first time, the captured tables are set up strictly ({@link CaptureSet#start})
   * and the capture poller starts.
   */
  private void prepare() throws SQLException, InterruptedException {
    try (Connection c = connections.admin()) {
      SlotStatus slot = slots.status(c);
      if (slot.staleStandbyCopy(config.dropStandbySlotCopies())) {
        LOG.warn(
            "replication slot {} here was invalidated while this server was a standby ({}): a stale"
                + " copy, not the slot the consumer streamed from; dropping it to create it again",
            config.slot(),
            slot.lostReason());
        slots.dropSlot(c);
        slot = slots.status(c);
      }
      if (slot.lost()) {
        throw SlotLostException.of(config.slot(), slot);
      }
      if (!started) {
        capture.start(c, slot.exists());
      } else {
        capture.ensurePublication(c);
      }
      Lsn known = slotFoundAt == null ? null : Lsn.max(slotFoundAt, publisher.acknowledged());
      if (slot.aheadOf(known)) {
        Set<Long> sources = capture.sources();
        LOG.error(
            "replication slot {} is at {}, ahead of {}, the furthest this consumer confirmed or"
                + " found it: it is not the slot the consumer streamed from but one created since"
                + " (by Patroni on a new primary that had no copy of it?); changes committed"
                + " between are not in the change log; a GAP event at {} marks it for each of the"
                + " {} captured table(s)",
            config.slot(),
            slot.confirmed(),
            known,
            slot.confirmed(),
            sources.size());
        if (!sources.isEmpty()
            && !publisher.publishGaps(sources, slot.confirmed(), () -> stopping)) {
          return; // stopping
        }
      }
      if (slot.exists()) {
        slotFoundAt = slot.confirmed();
      }
      if (!slot.exists()) {
        Set<Long> sources = capture.sources();
        Lsn before = Lsn.parse(queryOne(c, "SELECT pg_current_wal_insert_lsn()::text"));
        if (!sources.isEmpty() && !publisher.publishGaps(sources, before, () -> stopping)) {
          return; // stopping
        }
        boolean created = slots.ensureSlot(c);
        slotFoundAt = slots.status(c).confirmed();
        if (created) {
          if (streamedBefore) {
            LOG.error(
                "replication slot {} was missing after a reconnect and was created again: changes"
                    + " committed between the last confirmed position and {} are not in the change"
                    + " log; a GAP event marks it for each of the {} captured table(s) (a failover"
                    + " to a standby without a failover or permanent slot?)",
                config.slot(),
                before,
                sources.size());
          } else if (!sources.isEmpty()) {
            LOG.info(
                "new replication slot {}: a GAP event at {} marks where the change log's history"
                    + " of each of the {} captured table(s) starts",
                config.slot(),
                before,
                sources.size());
          }
        }
      }
    }
    if (!started) {
      started = true;
      captureSync.start(config.catalogPoll());
    }
  }

  private static String queryOne(Connection c, String sql) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    }
  }

  /** Stops for good: the slot can never stream again. */
  private void terminate(String message) {
    state.terminal(message);
    stop();
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
    slotWatch.close();
    captureSync.close();
  }
}
