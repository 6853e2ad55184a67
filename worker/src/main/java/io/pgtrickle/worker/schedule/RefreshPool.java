package io.pgtrickle.worker.schedule;

import io.pgtrickle.worker.refresh.RefreshOutcome;
import io.pgtrickle.worker.refresh.Refresher;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The worker's refresh threads, each with a {@link Refresher} (two connections) of its own. The
 * scheduler hands a stream table to a free thread; a stream table whose refresh did not complete
 * (failed, waited in vain, retried) is not handed out again before a backoff (1 s doubling to 30 s,
 * {@link RetryBackoff}), so a broken table does not keep a thread busy; from the fifth such end in
 * a row (about 30 s stale) each one not already logged as a failure is a WARN.
 */
public final class RefreshPool implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(RefreshPool.class);

  private final ExecutorService executor;
  private final Deque<Refresher> free = new ArrayDeque<>();
  private final List<Refresher> all;
  private final Map<Long, Refresher> running = new ConcurrentHashMap<>();
  private final Map<Long, RetryBackoff> backoff = new ConcurrentHashMap<>();
  private final AtomicInteger threadNumber = new AtomicInteger();
  private volatile Runnable onThreadFree = () -> {};
  private volatile boolean closed;

  /**
   * Creates the pool.
   *
   * @param refreshers one per thread
   */
  public RefreshPool(List<Refresher> refreshers) {
    this.all = List.copyOf(refreshers);
    free.addAll(refreshers);
    executor =
        Executors.newFixedThreadPool(
            refreshers.size(),
            r -> {
              Thread t = new Thread(r, "refresh-" + threadNumber.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
  }

  /**
   * Sets what to call each time a refresh ends and its thread is free again (the scheduler's {@link
   * Scheduler#wake}).
   *
   * @param callback called on the refresh thread, after the thread was returned to the pool
   */
  public void onThreadFree(Runnable callback) {
    this.onThreadFree = callback;
  }

  /**
   * Whether a stream table may be handed out now: not running here and not backing off.
   *
   * @param pgtId the stream table
   * @return true if it may
   */
  public boolean mayStart(long pgtId) {
    if (running.containsKey(pgtId)) {
      return false;
    }
    RetryBackoff b = backoff.get(pgtId);
    return b == null || b.due(System.nanoTime());
  }

  /**
   * Starts a refresh if a thread is free.
   *
   * @param pgtId the stream table
   * @param manual whether a manual request asks for it
   * @param seen the {@code data_timestamp} the scheduler's round read ({@link Instant#EPOCH} for
   *     none): the refresh is skipped if the table was refreshed after that read
   * @return false if every thread is busy (or the pool is closed)
   */
  public synchronized boolean trySubmit(long pgtId, boolean manual, Instant seen) {
    if (closed || free.isEmpty() || running.containsKey(pgtId)) {
      return false;
    }
    Refresher r = free.pop();
    running.put(pgtId, r);
    executor.execute(
        () -> {
          RefreshOutcome o;
          try {
            o = r.refresh(pgtId, manual, seen);
          } catch (RuntimeException e) {
            o = new RefreshOutcome(RefreshOutcome.Kind.RETRY, null, e.toString());
            LOG.error("refresh of stream table {} failed unexpectedly", pgtId, e);
          }
          done(pgtId, o);
          synchronized (this) {
            running.remove(pgtId);
            free.push(r);
            notifyAll();
          }
          onThreadFree.run();
        });
    return true;
  }

  private void done(long pgtId, RefreshOutcome o) {
    switch (o.kind()) {
      case COMPLETED, SKIPPED -> backoff.remove(pgtId);
      default -> {
        RetryBackoff b = backoff.computeIfAbsent(pgtId, k -> new RetryBackoff());
        long delayMs = b.ended(System.nanoTime());
        if (o.kind() != RefreshOutcome.Kind.FAILED) {
          String line = "refresh of stream table {} not done ({}, {} in a row): {}; again in {} ms";
          if (b.persistent()) {
            LOG.warn(line, pgtId, o.kind(), b.inARow(), o.message(), delayMs);
          } else {
            LOG.info(line, pgtId, o.kind(), b.inARow(), o.message(), delayMs);
          }
        }
      }
    }
  }

  /**
   * How many refreshes run now.
   *
   * @return the count
   */
  public int runningCount() {
    return running.size();
  }

  /**
   * Drains: no new refreshes; waits for the running ones up to {@code timeout}, then cancels their
   * statements (they roll back; the next worker redoes them from the stored frontier) and waits a
   * little more.
   *
   * @param timeout how long running refreshes may take to finish
   * @return true if every refresh finished, false if some were cancelled
   */
  public boolean drain(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (this) {
      closed = true;
      while (!running.isEmpty() && System.nanoTime() < deadline) {
        try {
          wait(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
      }
      if (running.isEmpty()) {
        return true;
      }
      LOG.warn("drain timeout: cancelling {} refreshes in progress", running.size());
      running.values().forEach(Refresher::cancel);
      long extra = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
      while (!running.isEmpty() && System.nanoTime() < extra) {
        try {
          wait(100);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
      }
      return false;
    }
  }

  @Override
  public void close() {
    closed = true;
    executor.shutdownNow();
    all.forEach(Refresher::close);
  }
}
