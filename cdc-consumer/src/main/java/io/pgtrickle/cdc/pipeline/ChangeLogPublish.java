package io.pgtrickle.cdc.pipeline;

import io.opentelemetry.api.trace.Span;
import io.pgtrickle.changelog.ChangeEvent;
import io.pgtrickle.changelog.ChangeLogBackend;
import io.pgtrickle.changelog.Lsn;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One batch's publish to the change log, on the {@link Publisher}'s thread: the sources' events
 * written concurrently and awaited together, retried with backoff for as long as the change log
 * refuses them (it is idempotent by source and position, so a retry never duplicates); while a
 * write is in flight the {@link SynchronousCommitGate} asks ahead about the next batch. A failed
 * attempt while the source is shutting down ends the session instead of retrying ({@link
 * SynchronousCommitGate#sourceStopping}).
 */
final class ChangeLogPublish {

  private static final Logger LOG = LoggerFactory.getLogger(Publisher.class);

  /** While a publish is in flight, how often to check whether the consumer stops. */
  private static final long STOP_CHECK_NANOS = TimeUnit.SECONDS.toNanos(1);

  private final ChangeLogBackend log;
  private final CdcMetrics metrics;
  private final ConsumerState state;
  private final Duration backoffMin;
  private final Duration backoffMax;
  private final SynchronousCommitGate gate;
  private final BatchInTheMaking inTheMaking;
  private final Publisher.Host host;

  ChangeLogPublish(
      ChangeLogBackend log,
      CdcMetrics metrics,
      ConsumerState state,
      Duration backoffMin,
      Duration backoffMax,
      SynchronousCommitGate gate,
      BatchInTheMaking inTheMaking,
      Publisher.Host host) {
    this.log = log;
    this.metrics = metrics;
    this.state = state;
    this.backoffMin = backoffMin;
    this.backoffMax = backoffMax;
    this.gate = gate;
    this.inTheMaking = inTheMaking;
    this.host = host;
  }

  /**
   * Publishes {@code batch} until the change log acknowledges it, the consumer stops, or the source
   * turns out to be shutting down (then the batch's session is ended through {@link
   * Publisher.Host#endSession} and the batch is not published).
   *
   * @param bySource the batch's events per source
   * @param span the batch's publish span: each failed attempt is recorded on it
   * @return {@code true} once acknowledged, {@code false} if not published
   */
  boolean publish(Batch batch, Map<Long, List<ChangeEvent>> bySource, Span span) {
    Backoff backoff = new Backoff(backoffMin, backoffMax);
    int retries = 0;
    while (!host.stopping()) {
      try {
        attempt(batch, bySource);
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
          host.endSession(
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

  private void attempt(Batch batch, Map<Long, List<ChangeEvent>> bySource)
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
    Batch next = host.nextQueued();
    boolean askedAhead = false;
    if (next != null && next.session() == host.session() && !all.isDone()) {
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
          askedAhead || host.nextQueued() != null
              ? null
              : inTheMaking.beyond(host.session(), batch.requiredDurable());
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
        if (host.stopping() && !all.isDone()) {
          throw new TimeoutException("stopping while the change log has not acknowledged");
        }
        checkStoppingAt = System.nanoTime() + STOP_CHECK_NANOS;
      }
    }
    all.get();
  }

  private void sleepUnlessStopping(long millis) {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
    while (!host.stopping() && System.nanoTime() < deadline) {
      try {
        Thread.sleep(Math.min(100, millis));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }
}
