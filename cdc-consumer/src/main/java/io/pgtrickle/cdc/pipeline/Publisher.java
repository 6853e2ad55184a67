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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes batches to the change log on its own thread, one batch at a time and in stream order,
 * and records the end LSN of the last commit the change log acknowledged: the position the
 * replication stream may confirm (the first phase of the two-phase acknowledgment; confirming it to
 * PostgreSQL is the second).
 *
 * <p>A failed publish is retried with backoff, indefinitely: the change log being away must stall
 * the consumer, never lose or reorder events. Re-publishing is safe because the change log is
 * idempotent by (source, position). One batch at a time also keeps the contract that calls for one
 * source never overlap; within a batch the sources are published concurrently.
 *
 * <p>Before a batch is published, the {@link SynchronousCommitGate} holds it until the source's
 * synchronous standbys have it. A batch of a session that ended is dropped while it waits there:
 * PostgreSQL sends it again, or, after a failover, never had it.
 */
final class Publisher implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(Publisher.class);

  /** While a publish is in flight, how often to check whether the consumer stops. */
  private static final long STOP_CHECK_NANOS = TimeUnit.SECONDS.toNanos(1);

  private final ChangeLogBackend log;
  private final CdcMetrics metrics;
  private final ConsumerState state;
  private final Duration backoffMin;
  private final Duration backoffMax;
  private final LongConsumer lagMicros;
  private final SynchronousCommitGate gate;
  private final AtomicLong session = new AtomicLong();
  private final AtomicLong endedSession = new AtomicLong(-1);
  private volatile String endReason = "";
  private final BlockingQueue<Batch> queue = new ArrayBlockingQueue<>(2);
  private final AtomicInteger pending = new AtomicInteger();
  private final AtomicReference<Lsn> acknowledged = new AtomicReference<>(Lsn.ZERO);
  private final AtomicReference<Lsn> publishedCommitEnd = new AtomicReference<>(Lsn.ZERO);
  private final Map<Long, Lsn> highest = new ConcurrentHashMap<>();
  private final Thread thread;
  private final BatchInTheMaking inTheMaking;
  private volatile Thread waker;
  private volatile boolean stopping;
  private long lastUnprotectedWarning;

  private static final long WARN_EVERY_NANOS = TimeUnit.MINUTES.toNanos(1);

  Publisher(
      ChangeLogBackend log,
      CdcMetrics metrics,
      ConsumerState state,
      Duration backoffMin,
      Duration backoffMax,
      LongConsumer lagMicros,
      SynchronousCommitGate gate) {
    this.log = log;
    this.metrics = metrics;
    this.state = state;
    this.backoffMin = backoffMin;
    this.backoffMax = backoffMax;
    this.lagMicros = lagMicros;
    this.gate = gate;
    this.thread = new Thread(this::run, "cdc-publisher");
    this.inTheMaking = new BatchInTheMaking(thread);
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
      Lsn above = highest.get(source);
      Lsn at = above == null || position.isAfter(above) ? position : above.next();
      markers.add(ChangeEvent.gap(source, at, 0, now));
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
    return acknowledged.get();
  }

  /**
   * The end of the last commit record this process published ({@link Lsn#ZERO}: none yet). Unlike
   * {@link #acknowledged()}, never raised for a stretch of WAL that carried nothing: it is where
   * the change log's history of the source stops, which a new primary's timeline must reach.
   */
  Lsn publishedCommitEnd() {
    return publishedCommitEnd.get();
  }

  /**
   * Raises the acknowledged position without a publish: for a position up to which the stream
   * carried nothing to publish (an idle source), so the slot does not hold WAL back.
   */
  void acknowledgeIdle(Lsn position) {
    acknowledged.accumulateAndGet(position, Lsn::max);
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
          if (gated == SynchronousCommitGate.Outcome.UNPROTECTED) {
            unprotected(batch);
          }
          Map<Long, List<ChangeEvent>> bySource = batch.bySource();
          Span span = PublishSpans.start(metrics.tracer, batch, bySource);
          boolean published = false;
          try {
            published = publishWithRetry(batch, bySource, span);
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

  /** Counts a batch published before any standby flushed it; warns at most once a minute. */
  private void unprotected(Batch batch) {
    metrics.unprotectedPublishes.increment();
    long now = System.nanoTime();
    if (lastUnprotectedWarning == 0 || now - lastUnprotectedWarning >= WARN_EVERY_NANOS) {
      lastUnprotectedWarning = now;
      LOG.warn(
          "publishing a batch ending at {} that no streaming standby has flushed (held {} ms; the"
              + " standbys are behind, or their positions hidden from this role: grant"
              + " pg_read_all_stats): a crash failover now may take it back, and the change log"
              + " then records a GAP (pg_trickle_cdc_unprotected_publishes_total counts these)",
          batch.requiredDurable(),
          TimeUnit.NANOSECONDS.toMillis(now - batch.receivedNanos()));
    }
  }

  private void endSession(long ended, String reason) {
    endReason = reason;
    endedSession.set(ended);
  }

  private boolean publishWithRetry(Batch batch, Map<Long, List<ChangeEvent>> bySource, Span span) {
    Backoff backoff = new Backoff(backoffMin, backoffMax);
    int retries = 0;
    while (!stopping) {
      try {
        publish(batch, bySource);
        state.publishFailing(false);
        return true;
      } catch (ExecutionException | TimeoutException | RuntimeException e) {
        Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
        long wait = backoff.nextMillis();
        metrics.publishRetries.increment();
        PublishSpans.failedAttempt(span, cause, ++retries);
        state.publishFailing(true);
        state.lastError("publish failed: " + cause);
        if (gate.sourceStopping()) {
          // The change log shares the source's server (or its fate), which is shutting down while
          // its walsender waits for this batch to be confirmed: end the session instead of
          // holding the shutdown up (SynchronousCommitGate#sourceStopping).
          LOG.info(
              "publish failed while the source is shutting down ({}): ending the session so that"
                  + " its walsender can exit; the batch is read again from the next primary",
              cause.toString());
          endSession(
              batch.session(),
              "the source is shutting down and the change log refused a publish; reconnecting"
                  + " (what was not published is read again)");
          // Not the change log's fault: /readyz says "not streaming" until the next session, and
          // must not go on saying the change log is unavailable after it (an idle source would
          // publish nothing to clear it).
          state.publishFailing(false);
          return false;
        }
        LOG.warn("publish to the change log failed, retrying in {} ms: {}", wait, cause.toString());
        sleepUnlessStopping(wait);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
    return false;
  }

  private void publish(Batch batch, Map<Long, List<ChangeEvent>> bySource)
      throws ExecutionException, TimeoutException, InterruptedException {
    List<CompletableFuture<Void>> futures = new ArrayList<>();
    bySource.forEach(
        (source, events) -> futures.add(log.publish(source, events).toCompletableFuture()));
    CompletableFuture<Void> all =
        CompletableFuture.allOf(futures.toArray(new CompletableFuture[0]));
    // While the change log writes, the gate asks once about the next batch: the queued one (a
    // backlog draining), or else the one the session is building (a steady stream, where nothing
    // is queued during a publish). That batch then starts without the round trip to the source.
    // Once per publish, so that a backlog's stream of commits does not turn into a stream of
    // queries. Waiting for the whole group keeps publishes of one source from overlapping a retry.
    Thread self = Thread.currentThread();
    all.whenComplete((ignored, error) -> LockSupport.unpark(self));
    Batch next = queue.peek();
    boolean askedAhead = false;
    if (next != null && next.session() == session.get() && !all.isDone()) {
      gate.lookAhead(next.requiredDurable());
      askedAhead = true;
    }
    inTheMaking.wanted(!askedAhead);
    try {
      awaitPublished(batch, all, askedAhead);
    } finally {
      inTheMaking.wanted(false);
    }
  }

  /** Waits for {@code all}, asking the gate about the batch being built if not asked yet. */
  private void awaitPublished(Batch batch, CompletableFuture<Void> all, boolean askedAhead)
      throws ExecutionException, TimeoutException, InterruptedException {
    long checkStoppingAt = System.nanoTime() + STOP_CHECK_NANOS;
    while (!all.isDone()) {
      Lsn ahead =
          askedAhead || !queue.isEmpty()
              ? null
              : inTheMaking.beyond(session.get(), batch.requiredDurable());
      if (ahead != null) {
        askedAhead = true;
        inTheMaking.wanted(false);
        gate.lookAhead(ahead);
        continue;
      }
      LockSupport.parkNanos(this, Math.max(1, checkStoppingAt - System.nanoTime()));
      if (Thread.interrupted()) {
        throw new InterruptedException();
      }
      if (System.nanoTime() - checkStoppingAt >= 0) {
        if (stopping && !all.isDone()) {
          throw new TimeoutException("stopping while the change log has not acknowledged");
        }
        checkStoppingAt = System.nanoTime() + STOP_CHECK_NANOS;
      }
    }
    all.get();
  }

  private void done(Batch batch, Map<Long, List<ChangeEvent>> bySource) {
    state.progressed();
    bySource.forEach((source, events) -> highest.put(source, events.get(events.size() - 1).lsn()));
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
      acknowledged.accumulateAndGet(batch.lastCommitEnd(), Lsn::max);
      publishedCommitEnd.accumulateAndGet(batch.lastCommitEnd(), Lsn::max);
    }
    batch.published().complete(null);
  }

  private static long micros(Instant t) {
    return t.getEpochSecond() * 1_000_000L + t.getNano() / 1000;
  }

  private void sleepUnlessStopping(long millis) {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
    while (!stopping && System.nanoTime() < deadline) {
      try {
        Thread.sleep(Math.min(100, millis));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
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
