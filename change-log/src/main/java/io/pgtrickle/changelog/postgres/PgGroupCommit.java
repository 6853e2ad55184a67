package io.pgtrickle.changelog.postgres;

import io.pgtrickle.changelog.ChangeEvent;
import io.pgtrickle.changelog.ChangeLogException;
import io.pgtrickle.changelog.postgres.PgPublishGroups.Request;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;

/**
 * Group commit across publishers: publish calls queue up, and at most {@code writers} writers, each
 * a task on the backend's pool holding one connection while it writes, take everything that is
 * waiting (up to {@code maxEvents} events) and write it as one group, i.e. one transaction and one
 * WAL flush for all of it. While the writers are busy the queue fills, so groups grow with the
 * load; with one publisher at a time a group is that one publish and nothing waits.
 *
 * <p>A writer writes one group per task and then, if more is waiting, submits itself again rather
 * than looping, so that the pool's other work (consume, acknowledge, lag) is not starved behind a
 * steady stream of publishes. A request's future completes when the group's writer is done with it
 * (see {@link PgPublisher#publishGroup}); once the pool refuses work (the backend closed) every
 * waiting request fails with {@link ChangeLogException} "change log is closed".
 */
final class PgGroupCommit {

  private final Executor pool;
  private final int writers;
  private final int maxEvents;
  private final Consumer<List<Request>> write;
  private final Deque<Request> queue = new ArrayDeque<>();

  /** Writers scheduled or writing; guarded by {@code queue}. */
  private int active;

  /**
   * @param pool runs the writers
   * @param writers the most groups written at once (connections used for publishing), at least 1
   * @param maxEvents the most events in a group of more than one publish
   * @param write writes a group and completes every request's future, never throws
   */
  PgGroupCommit(Executor pool, int writers, int maxEvents, Consumer<List<Request>> write) {
    this.pool = pool;
    this.writers = writers;
    this.maxEvents = maxEvents;
    this.write = write;
  }

  /**
   * Queues one publish and makes sure a writer will take it.
   *
   * @param sourceOid the source
   * @param events validated events of the source, at least one
   * @return completes once the events are committed, or fails with the publish's error
   */
  CompletionStage<Void> submit(long sourceOid, List<ChangeEvent> events) {
    Request request = new Request(sourceOid, events, new CompletableFuture<>());
    boolean start;
    synchronized (queue) {
      queue.addLast(request);
      start = active < writers;
      if (start) {
        active++;
      }
    }
    if (start) {
      schedule();
    }
    return request.done();
  }

  /** One writer's turn: the next group, then again if more waits, else the writer ends. */
  private void writeNext() {
    List<Request> group;
    synchronized (queue) {
      group = PgPublishGroups.take(queue, maxEvents);
      if (group.isEmpty()) {
        active--;
        return;
      }
    }
    try {
      write.accept(group);
    } catch (RuntimeException | Error e) {
      // The writer broke its promise not to throw: no future may be left hanging.
      group.forEach(r -> r.done().completeExceptionally(e));
      throw e;
    } finally {
      boolean again;
      synchronized (queue) {
        again = !queue.isEmpty();
        if (!again) {
          active--;
        }
      }
      if (again) {
        schedule();
      }
    }
  }

  /** Runs a writer (already counted in {@code active}) on the pool, or fails the queue. */
  private void schedule() {
    try {
      pool.execute(this::writeNext);
    } catch (RejectedExecutionException e) {
      List<Request> refused;
      synchronized (queue) {
        active--;
        refused = List.copyOf(queue);
        queue.clear();
      }
      ChangeLogException closed = new ChangeLogException("change log is closed", e);
      refused.forEach(r -> r.done().completeExceptionally(closed));
    }
  }
}
