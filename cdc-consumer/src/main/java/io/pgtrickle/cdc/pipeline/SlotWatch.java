package io.pgtrickle.cdc.pipeline;

import io.pgtrickle.cdc.config.CdcConfig;
import io.pgtrickle.cdc.slot.SlotManager;
import io.pgtrickle.cdc.slot.SlotStatus;
import io.pgtrickle.cdc.slot.SourceConnections;
import io.pgtrickle.cdc.slot.StaleSlotCopies;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches the slot from a thread of its own, with a connection of its own to the primary: every 2 s
 * its lag (for {@code /healthz} and the metric), whether PostgreSQL invalidated it (then {@code
 * onLost} ends the consumer), and whether the consumer is stuck ({@link StuckCheck}); every 10 s,
 * stale copies of it on standbys ({@link StaleSlotCopies}): on PostgreSQL 17 and later with
 * failover slots, before 17 with {@code PGTRICKLE_DROP_STANDBY_SLOT_COPIES}.
 */
final class SlotWatch implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(SlotWatch.class);

  private final CdcConfig config;
  private final SourceConnections connections;
  private final SlotManager slots;
  private final StaleSlotCopies.Policy staleSlotCopiesPolicy;
  private final StaleSlotCopies staleSlotCopies;
  private final ConsumerState state;
  private final StuckCheck stuckCheck;
  private final Consumer<String> onLost;
  private final ScheduledExecutorService thread =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "cdc-lag-poller");
            t.setDaemon(true);
            return t;
          });
  private Connection connection;

  SlotWatch(
      CdcConfig config,
      SourceConnections connections,
      SlotManager slots,
      ConsumerState state,
      Consumer<String> onLost) {
    this.config = config;
    this.connections = connections;
    this.slots = slots;
    this.state = state;
    this.onLost = onLost;
    this.stuckCheck = new StuckCheck(config.stuckTimeout(), System.nanoTime());
    this.staleSlotCopiesPolicy =
        new StaleSlotCopies.Policy(config.failoverSlot(), config.dropStandbySlotCopies());
    this.staleSlotCopies =
        new StaleSlotCopies(
            config.slot(),
            staleSlotCopiesPolicy,
            connections::adminAt,
            StaleSlotCopies.Members.resolving(config.sourceMembers()));
  }

  void start() {
    thread.scheduleWithFixedDelay(this::poll, 0, 2, TimeUnit.SECONDS);
    if (staleSlotCopiesPolicy.any()) { // each round checks the primary's major
      thread.scheduleWithFixedDelay(this::dropStaleSlotCopies, 5, 10, TimeUnit.SECONDS);
    }
  }

  private void poll() {
    try {
      SlotStatus slot = slots.status(connection());
      state.slotLagBytes(slot.lagBytes());
      if (slot.activePid() != 0 && slot.activePid() == state.walsenderPid()) {
        state.walsenderSeen(System.nanoTime()); // the session is alive on the server's side
      }
      if (slot.lost() && !slot.staleStandbyCopy(config.dropStandbySlotCopies())) {
        String message = SlotLostException.of(config.slot(), slot).getMessage();
        LOG.error("{}", message);
        onLost.accept(message);
        return;
      }
      String stuck =
          stuckCheck.observe(
              System.nanoTime(),
              slot,
              state.walsenderPid(),
              state.lastProgressNanos(),
              state.holding(),
              // Waiting for a known reason that a restart would not remove is not being stuck.
              state.publishFailing() || !state.refused().isEmpty());
      if (stuck != null && state.stuck().isEmpty()) {
        LOG.error("{}", stuck);
      } else if (stuck == null && !state.stuck().isEmpty()) {
        LOG.info("progressing again");
      }
      state.stuck(stuck);
    } catch (SQLException | RuntimeException e) {
      state.slotLagBytes(-1);
      closeConnection();
    }
  }

  /** Shares the connection to the primary with {@link #poll()}: same thread. */
  private void dropStaleSlotCopies() {
    try {
      staleSlotCopies.dropOnStandbys(connection());
    } catch (SQLException | RuntimeException e) {
      LOG.debug("stale slot copies not checked this round: {}", e.toString());
      closeConnection();
    }
  }

  private Connection connection() throws SQLException {
    if (connection == null || connection.isClosed()) {
      connection = connections.admin();
    }
    return connection;
  }

  private void closeConnection() {
    if (connection != null) {
      try {
        connection.close();
      } catch (SQLException ignored) {
        // Broken already; a new one is opened on the next poll.
      }
      connection = null;
    }
  }

  @Override
  public void close() {
    thread.shutdownNow();
    try {
      thread.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    closeConnection();
  }
}
