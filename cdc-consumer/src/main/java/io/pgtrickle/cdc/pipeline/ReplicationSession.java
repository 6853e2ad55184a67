package io.pgtrickle.cdc.pipeline;

import io.pgtrickle.cdc.config.CdcConfig;
import io.pgtrickle.cdc.pgoutput.PgOutputDecoder;
import io.pgtrickle.cdc.pgoutput.TransactionAssembler;
import io.pgtrickle.changelog.ChangeEvent;
import io.pgtrickle.changelog.Lsn;
import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.postgresql.PGConnection;
import org.postgresql.replication.LogSequenceNumber;
import org.postgresql.replication.PGReplicationStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One replication connection: reads pgoutput messages, assembles change events into batches for the
 * {@link Publisher}, and confirms to PostgreSQL what the change log acknowledged. It ends by
 * throwing when the connection breaks, or returns when asked to stop; {@link CdcConsumer} then
 * decides whether to reconnect.
 *
 * <p>The stream is read without blocking, so status updates flow even while the source is idle or
 * the publisher is stalled; otherwise PostgreSQL would end the connection after {@code
 * wal_sender_timeout}, and an idle source would never see its slot advance.
 */
final class ReplicationSession {

  private static final Logger LOG = LoggerFactory.getLogger(ReplicationSession.class);

  /**
   * Confirm acknowledged progress to the server as soon as it advances, but at most this often: the
   * worker waits for {@code confirmed_flush_lsn} to pass a position before it refreshes, so the
   * slot trails the change log by milliseconds (CONTRACTS.md §2).
   */
  private static final long CONFIRM_EVERY_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

  /** While blocked on a full publish queue, a status update at least this often. */
  private static final long KEEP_ALIVE_NANOS = TimeUnit.MILLISECONDS.toNanos(200);

  private final CdcConfig config;

  /**
   * Nothing received for this long ({@code PGTRICKLE_SILENCE_LIMIT_MS}, default 30 s: Patroni's
   * default TTL, within which a lost primary's replacement is promoted; 75 s before 2026-12-05),
   * and the slot's poll ({@link SlotWatch}, every 2 s) not finding this session's walsender on the
   * server for as long, means the connection is dead. Silence alone does not: the server sends
   * nothing while the captured tables are quiet (pgoutput skips transactions with nothing
   * published, and the walsender sends no keepalive while the consumer has confirmed all it sent),
   * so until 2026-12-04 an idle source cost a reconnect every 75 s.
   */
  private final long silenceLimitNanos;

  private final Publisher publisher;
  private final BooleanSupplier stopping;
  private final ConsumerState state;
  private Batch current = new Batch();
  private Lsn confirmedToServer = Lsn.ZERO;
  private long lastConfirmNanos;
  private long lastMessageNanos;

  ReplicationSession(
      CdcConfig config, Publisher publisher, ConsumerState state, BooleanSupplier stopping) {
    this.config = config;
    this.silenceLimitNanos = config.silenceLimit().toNanos();
    this.publisher = publisher;
    this.state = state;
    this.stopping = stopping;
  }

  /**
   * The connection is taken for dead ({@link #dead}, or a batch the gate could not clear for the
   * silence limit): nothing is to be asked of it any more.
   */
  static final class DeadConnectionException extends SQLException {
    DeadConnectionException(String message) {
      super(message);
    }
  }

  /**
   * Streams until the connection breaks or {@code stopping} turns true.
   *
   * <p>A connection taken for dead is aborted (its socket closed, {@link Connection#abort}) rather
   * than closed: closing the stream sends {@code CopyDone} and waits for the server's answer, which
   * on a connection whose server vanished without closing it (a lost node, a partition) never
   * comes, and the replication connection has no socket timeout (its commands may wait for long
   * transactions). Before 2026-12-05 the consumer hung there until the stuck check's restart
   * ({@code VanishedSourceIT}).
   *
   * @param connection a replication connection, closed by the caller
   * @param onStreaming called once the stream is open
   * @throws SQLException when the connection breaks
   * @throws InterruptedException if interrupted
   */
  void run(Connection connection, Runnable onStreaming) throws SQLException, InterruptedException {
    PGReplicationStream stream =
        connection
            .unwrap(PGConnection.class)
            .getReplicationAPI()
            .replicationStream()
            .logical()
            .withSlotName(config.slot())
            .withSlotOption("proto_version", "1")
            .withSlotOption("publication_names", config.publication())
            // Logical decoding messages: the consumer's own gap markers (GapMarkers).
            .withSlotOption("messages", "true")
            .withStatusInterval((int) config.statusInterval().toMillis(), TimeUnit.MILLISECONDS)
            // The confirmed position is this class's decision alone (see stream()): the
            // driver's own keepalive-based advancing is off.
            .withAutomaticFlush(false)
            .start();
    boolean dead = false;
    try {
      LOG.info("streaming from slot {} (publication {})", config.slot(), config.publication());
      onStreaming.run();
      stream(stream);
      // Asked to stop: publish what was read, so the confirmed position is as fresh as possible.
      if (!current.isEmpty() && publisher.offer(current, 1000)) {
        current = new Batch();
      }
      publisher.drain(java.time.Duration.ofSeconds(10));
      confirm(stream, true);
    } catch (DeadConnectionException e) {
      dead = true;
      throw e;
    } finally {
      if (dead) {
        connection.abort(Runnable::run);
      } else {
        stream.close();
      }
    }
  }

  private void stream(PGReplicationStream stream) throws SQLException, InterruptedException {
    TransactionAssembler assembler =
        new TransactionAssembler(
            new TransactionAssembler.Sink() {
              @Override
              public void event(ChangeEvent event) {
                current.add(event);
              }

              @Override
              public void commit(Lsn endLsn, Instant commitTime, int events) {
                current.commit(endLsn, commitTime);
              }
            },
            config.slot());
    lastMessageNanos = System.nanoTime();
    publisher.wakeWhenDone(Thread.currentThread());
    int idleRounds = 0;
    while (!stopping.getAsBoolean()) {
      ByteBuffer message = stream.readPending();
      if (message != null) {
        lastMessageNanos = System.nanoTime();
        idleRounds = 0;
        state.holding(true);
        assembler.accept(PgOutputDecoder.decode(message));
        // Batches grow while the publisher is busy: one publish (one fsync or round trip in
        // the change log) then carries everything that arrived meanwhile.
        if (current.size() >= config.maxBatchEvents()
            || (current.hasCommit() && publisher.idle())) {
          handOff(stream);
        } else if (current.hasCommit()) {
          publisher.building(current.requiredDurable());
        }
        confirm(stream, false);
        continue;
      }
      if (!current.isEmpty()) {
        if (publisher.idle()) {
          handOff(stream);
        }
      } else if (!assembler.inTransaction() && publisher.idle()) {
        // Everything received is published: up to the last position the server reported, the
        // stream held nothing for us, so the slot may move there (an idle source pins no WAL).
        publisher.acknowledgeIdle(Lsn.of(stream.getLastReceiveLSN().asLong()));
      }
      state.holding(!current.isEmpty() || assembler.inTransaction() || !publisher.idle());
      confirm(stream, false);
      checkWalsender();
      if (dead(
          System.nanoTime(), lastMessageNanos, state.walsenderSeenNanos(), silenceLimitNanos)) {
        throw new DeadConnectionException(
            "no message from the server for "
                + seconds(silenceLimitNanos)
                + ", and its walsender for this session not seen on the server for as long;"
                + " reconnecting");
      }
      // Spin briefly while data flows, then back off to a few wakeups per 10 ms when idle.
      LockSupport.parkNanos(idleRounds++ < 100 ? 200_000 : 2_000_000);
      if (Thread.interrupted()) {
        throw new InterruptedException();
      }
    }
  }

  /** Queues the current batch, keeping the connection alive while the publisher is busy. */
  private void handOff(PGReplicationStream stream) throws SQLException, InterruptedException {
    // Short waits: confirmations go out between them as they advance, and a status update at least
    // every 200 ms keeps the connection alive while the stream is not read.
    while (!publisher.offer(current, 10)) {
      checkWalsender();
      confirm(stream, System.nanoTime() - lastConfirmNanos >= KEEP_ALIVE_NANOS);
      lastMessageNanos = System.nanoTime(); // we are not reading: silence is ours
      if (stopping.getAsBoolean()) {
        return;
      }
    }
    current = new Batch();
  }

  /**
   * Whether the connection is to be taken for dead: neither a message nor a sighting of its
   * walsender on the server for the silence limit.
   *
   * @param now {@link System#nanoTime()}
   * @param lastMessage when the last message arrived (or the session started)
   * @param walsenderSeen when the slot's poll last found this session's walsender, 0 if never
   * @param limit the silence limit, ns
   * @return {@code true} to reconnect
   */
  static boolean dead(long now, long lastMessage, long walsenderSeen, long limit) {
    return now - lastMessage > limit && (walsenderSeen == 0 || now - walsenderSeen > limit);
  }

  /** A duration in ns as whole seconds, e.g. {@code 30 s}. */
  private static String seconds(long nanos) {
    return TimeUnit.NANOSECONDS.toSeconds(nanos) + " s";
  }

  private void checkWalsender() throws SQLException {
    String endReason = publisher.sessionEndReason();
    if (endReason != null) {
      throw new SQLException(endReason);
    }
    // Blocked on a full queue the session does not read, so it would not notice a vanished
    // server; a batch the gate could not clear for as long means the same as silence.
    if (publisher.gateWaitingNanos() > silenceLimitNanos) {
      throw new DeadConnectionException(
          "the synchronous standbys' positions could not be confirmed for "
              + seconds(silenceLimitNanos)
              + "; reconnecting");
    }
  }

  /**
   * Tells the server what the change log acknowledged, at once when it advanced (at most every 10
   * ms), or anyway when forced.
   */
  private void confirm(PGReplicationStream stream, boolean force) throws SQLException {
    Lsn acknowledged = publisher.acknowledged();
    long now = System.nanoTime();
    boolean advanced = acknowledged.isAfter(confirmedToServer);
    if (advanced) {
      LogSequenceNumber lsn = LogSequenceNumber.valueOf(acknowledged.value());
      stream.setAppliedLSN(lsn);
      stream.setFlushedLSN(lsn);
    }
    if ((advanced && now - lastConfirmNanos >= CONFIRM_EVERY_NANOS) || force) {
      stream.forceUpdateStatus();
      if (advanced) {
        state.progressed();
      }
      confirmedToServer = acknowledged;
      lastConfirmNanos = now;
    }
  }
}
