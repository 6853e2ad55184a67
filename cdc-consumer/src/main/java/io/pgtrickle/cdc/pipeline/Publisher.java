package io.pgtrickle.cdc.pipeline;

import io.opentelemetry.api.trace.Span;
import io.pgtrickle.changelog.ChangeEvent;
import io.pgtrickle.changelog.ChangeLogBackend;
import io.pgtrickle.changelog.Lsn;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongConsumer;

/**
 * Publishes batches to the change log on its own thread, one batch at a time and in stream order,
 * and records the end LSN of the last commit the change log acknowledged: the position the
 * replication stream may confirm (the first phase of the two-phase acknowledgment; confirming it to
 * PostgreSQL is the second).
 *
 * <p>A failed publish is retried with backoff, indefinitely ({@link ChangeLogPublish}): the change
 * log being away must stall the consumer, never lose or reorder events. Re-publishing is safe
 * because the change log is idempotent by (source, position). One batch at a time also keeps the
 * contract that calls for one source never overlap; within a batch the sources are published
 * concurrently.
 *
 * <p>Before a batch is published, the {@link SynchronousCommitGate} holds it until the source's
 * synchronous standbys have it. A batch of a session that ended is dropped while it waits there:
 * PostgreSQL sends it again, or, after a failover, never had it.
 */
final class Publisher implements AutoCloseable {

  private final CdcMetrics metrics;
  private final ConsumerState state;
  private final LongConsumer lagMicros;
  private final SynchronousCommitGate gate;
  private final AtomicLong session = new AtomicLong();
  private final AtomicLong endedSession = new AtomicLong(-1);
  private volatile String endReason = "";
  private final BlockingQueue<Batch> queue = new ArrayBlockingQueue<>(2);
  private final AtomicInteger pending = new AtomicInteger();
  private final Acknowledgments acknowledgments = new Acknowledgments();
  private final UnprotectedPublishes unprotected;
  private final ChangeLogPublish changeLog;
  private final Thread thread;
  private final BatchInTheMaking inTheMaking;
  private volatile Thread waker;
  private volatile boolean stopping;

  /**
   * What a batch's {@link ChangeLogPublish} asks of the publisher it runs for (on the publisher's
   * thread).
   */
  interface Host {
    /** Whether the consumer stops. */
    boolean stopping();

    /** The current replication session's number. */
    long session();

    /** The next queued batch, or {@code null}. */
    Batch nextQueued();

    /** Ends the session numbered {@code ended}, for {@code reason} ({@link #sessionEndReason}). */
    void endSession(long ended, String reason);
  }

  Publisher(
      ChangeLogBackend log,
      CdcMetrics metrics,
      ConsumerState state,
      Duration backoffMin,
      Duration backoffMax,
      LongConsumer lagMicros,
      SynchronousCommitGate gate) {
    this.metrics = metrics;
    this.state = state;
    this.lagMicros = lagMicros;
    this.gate = gate;
    this.unprotected = new UnprotectedPublishes(metrics);
    this.thread = new Thread(this::run, "cdc-publisher");
    this.inTheMaking = new BatchInTheMaking(thread);
    this.changeLog =
        new ChangeLogPublish(
            log,
            metrics,
            state,
            backoffMin,
            backoffMax,
            gate,
            inTheMaking,
            new Host() {
              @Override
              public boolean stopping() {
                return stopping;
              }

              @Override
              public long session() {
                return session.get();
              }

              @Override
              public Batch nextQueued() {
                return queue.peek();
              }

              @Override
              public void endSession(long ended, String reason) {
                Publisher.this.endSession(ended, reason);
              }
            });
    thread.setDaemon(true);
    thread.start();
  }

  /**
   * Queues a batch, waiting up to {@code millis} for room.
   *
   * @return {@code false} if the queue stayed full (the caller keeps the connection alive and tries
   *     again)
   */
  boolean offer(Batch batch, long millis) throws InterruptedException {
    batch.session(session.get());
    pending.incrementAndGet();
    if (queue.offer(batch, millis, TimeUnit.MILLISECONDS)) {
      return true;
    }
    pending.decrementAndGet();
    return false;
  }

  /**
   * Records a gap for each source before a new slot exists: queues one GAP event per source, at
   * {@code position} or just above the highest position this process published for the source
   * (whichever is later: the change log drops an event that is not above what it holds), and waits
   * until the change log acknowledged them. Batches queued before it are published first.
   *
   * @param sources the source OIDs
   * @param position the server's WAL insert position before the slot is created: every change the
   *     new slot delivers commits after it
   * @param stop ends the wait when it turns true
   * @return {@code true} once published, {@code false} if stopped first
   * @throws InterruptedException if interrupted
   */
  boolean publishGaps(
      Collection<Long> sources, Lsn position, java.util.function.BooleanSupplier stop)
      throws InterruptedException {
    Instant now = Instant.now();
    List<ChangeEvent> markers = new ArrayList<>();
    for (long source : sources) {
      markers.add(ChangeEvent.gap(source, acknowledgments.gapPosition(source, position), 0, now));
    }
    Batch batch = Batch.gaps(markers);
    while (!offer(batch, 100)) {
      if (stop.getAsBoolean()) {
        return false;
      }
    }
    while (!stop.getAsBoolean()) {
      try {
        batch.published().get(100, TimeUnit.MILLISECONDS);
        return true;
      } catch (TimeoutException stillWaiting) {
        // the change log may be away: publishWithRetry keeps trying
      } catch (ExecutionException e) {
        throw new IllegalStateException(e.getCause());
      }
    }
    return false;
  }

  /**
   * A replication session starts, streaming through the walsender with this backend pid, on the
   * server at {@code host}:{@code port} (null host: unknown), which the gate asks about the
   * synchronous standbys.
   */
  void sessionStarted(int walsenderPid, String host, int port) {
    gate.session(walsenderPid, host, port);
  }

  /** How long the batch at the synchronous-standby gate has waited, in nanoseconds (0: none). */
  long gateWaitingNanos() {
    return gate.waitingNanos();
  }

  /**
   * Why the gate wants the current session to end, or {@code null}: its walsender is gone from its
   * server, or the server is shutting down. The session should end and reconnect even if its socket
   * has not noticed yet (a stream blocked on a full queue does not read, so it would not see the
   * connection close).
   */
  String sessionEndReason() {
    return endedSession.get() == session.get() ? endReason : null;
  }

  /**
   * Names the thread to wake ({@link LockSupport#unpark}) whenever a batch is done: the replication
   * session, which parks between polls of an idle stream and hands the next batch over (and
   * confirms the new position) only once it wakes. Without this it notices up to 2 ms late.
   */
  void wakeWhenDone(Thread thread) {
    waker = thread;
  }

  /**
   * The replication session is building a batch that needs {@code position} durable (its commits so
   * far, {@link Batch#requiredDurable}) while a publish is in flight: the gate asks about it
   * meanwhile, so that once the publish is done the batch passes the gate without a round trip to
   * the source of its own. A steady stream (a batch handed over whenever the publisher is idle)
   * then waits for one round trip per batch, the change log's, instead of two. Called by the
   * session thread; cheap when the position did not move.
   */
  void building(Lsn position) {
    inTheMaking.needs(session.get(), position);
  }

  /** Whether every queued batch has been published: nothing received is unacknowledged. */
  boolean idle() {
    return pending.get() == 0;
  }

  /** The end LSN of the last commit the change log acknowledged. */
  Lsn acknowledged() {
    return acknowledgments.acknowledged();
  }

  /**
   * The end of the last commit record this process published ({@link Lsn#ZERO}: none yet). Unlike
   * {@link #acknowledged()}, never raised for a stretch of WAL that carried nothing: it is where
   * the change log's history of the source stops, which a new primary's timeline must reach.
   */
  Lsn publishedCommitEnd() {
    return acknowledgments.publishedCommitEnd();
  }

  /**
   * Raises the acknowledged position without a publish: for a position up to which the stream
   * carried nothing to publish (an idle source), so the slot does not hold WAL back.
   */
  void acknowledgeIdle(Lsn position) {
    acknowledgments.acknowledgeIdle(position);
  }

  /**
   * Drops queued batches after the stream they came from broke: PostgreSQL sends them again from
   * the confirmed position. A batch being published finishes (or keeps retrying) first.
   */
  void discardQueued() {
    session.incrementAndGet();
    List<Batch> dropped = new ArrayList<>();
    queue.drainTo(dropped);
    pending.addAndGet(-dropped.size());
  }

  private void run() {
    while (!stopping) {
      Batch batch;
      try {
        batch = queue.poll(100, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        return;
      }
      if (batch == null) {
        continue;
      }
      try {
        if (batch.session() != session.get() || batch.session() == endedSession.get()) {
          // Its session ended: PostgreSQL sends it again, or the next primary never had it. Never
          // published after a batch of its session that was dropped, or the change log would hold
          // a later change without an earlier one, and then drop the earlier one as not new.
          batch.published().completeExceptionally(new IllegalStateException("session ended"));
          continue;
        }
        long gateStart = System.nanoTime();
        SynchronousCommitGate.Outcome gated =
            gate.awaitDurable(
                batch.requiredDurable(),
                batch.receivedNanos() == 0 ? System.nanoTime() : batch.receivedNanos(),
                () -> stopping || batch.session() != session.get());
        if (gated == SynchronousCommitGate.Outcome.WALSENDER_GONE) {
          endSession(
              batch.session(),
              "this session's walsender is no longer on its server (restarted); reconnecting");
        } else if (gated == SynchronousCommitGate.Outcome.SOURCE_STOPPING) {
          endSession(
              batch.session(),
              "the source is shutting down; reconnecting (what was not published is read again)");
        } else if (gated == SynchronousCommitGate.Outcome.DURABLE
            || gated == SynchronousCommitGate.Outcome.UNPROTECTED) {
          metrics.standbyWait.record(System.nanoTime() - gateStart, TimeUnit.NANOSECONDS);
          if (gated == SynchronousCommitGate.Outcome.UNPROTECTED) {
            unprotected.publishing(batch);
          }
          Map<Long, List<ChangeEvent>> bySource = batch.bySource();
          Span span = PublishSpans.start(metrics.tracer, batch, bySource);
          boolean published = false;
          try {
            published = changeLog.publish(batch, bySource, span);
            if (published) {
              done(batch, bySource);
            } else {
              batch.published().completeExceptionally(new IllegalStateException("not published"));
            }
          } finally {
            PublishSpans.end(span, published);
          }
        }
      } catch (InterruptedException e) {
        return;
      } finally {
        pending.decrementAndGet();
        Thread wake = waker;
        if (wake != null) {
          LockSupport.unpark(wake);
        }
      }
    }
  }

  private void endSession(long ended, String reason) {
    endReason = reason;
    endedSession.set(ended);
  }

  private void done(Batch batch, Map<Long, List<ChangeEvent>> bySource) {
    state.progressed();
    metrics.events.increment(batch.size());
    if (batch.hasCommit()) {
      long nowMicros = micros(Instant.now());
      for (Instant commit : batch.commitTimes()) {
        long lag = Math.max(0, nowMicros - micros(commit));
        metrics.lag.record(lag, TimeUnit.MICROSECONDS);
        metrics.transactions.increment();
        if (lagMicros != null) {
          lagMicros.accept(lag);
        }
      }
    }
    acknowledgments.published(batch, bySource);
    batch.published().complete(null);
  }

  private static long micros(Instant t) {
    return t.getEpochSecond() * 1_000_000L + t.getNano() / 1000;
  }

  /**
   * Waits up to {@code timeout} for queued batches to be published.
   *
   * @return {@code true} if everything was published
   */
  boolean drain(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!idle() && System.nanoTime() < deadline) {
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
    return idle();
  }

  @Override
  public void close() {
    stopping = true;
    try {
      thread.join(5000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    gate.close();
  }
}
