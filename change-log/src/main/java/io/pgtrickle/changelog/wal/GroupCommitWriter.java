package io.pgtrickle.changelog.wal;

import io.pgtrickle.changelog.ChangeLogException;
import io.pgtrickle.changelog.Lsn;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The single writer of the log. It takes every publish request that is waiting, writes them with
 * one write call and makes them durable with one fsync, then completes all their futures: many
 * concurrent publishers share one fsync (group commit), and the more there are, the larger and
 * cheaper each group gets. It is also the one place that decides whether an event is new, so
 * re-published events are dropped without a race.
 */
final class GroupCommitWriter implements Runnable {

  private static final Logger LOG = LoggerFactory.getLogger(GroupCommitWriter.class);
  private static final int BUFFER_BYTES = 8 * 1024 * 1024;
  private static final int MAX_REQUESTS_PER_GROUP = 4096;

  /** Frames of one publish call, built on the caller's thread. */
  record Request(long sourceOid, Lsn[] lsns, byte[][] frames, CompletableFuture<Void> done) {}

  private record Placed(long sourceOid, Lsn lsn, Segment segment, long position, int length) {}

  private final WalLog log;
  private final Executor completions;
  private final LinkedBlockingQueue<Request> queue = new LinkedBlockingQueue<>();
  private final Map<Long, Lsn> writtenHigh = new HashMap<>();
  private final ByteBuffer buffer = ByteBuffer.allocateDirect(BUFFER_BYTES);
  private volatile boolean stopping;
  private volatile Throwable failure;

  GroupCommitWriter(WalLog log, Executor completions, Map<Long, Lsn> recoveredHigh) {
    this.log = log;
    this.completions = completions;
    this.writtenHigh.putAll(recoveredHigh);
  }

  void submit(Request request) {
    Throwable failed = failure;
    if (failed != null) {
      request.done().completeExceptionally(failedLog(failed));
      return;
    }
    if (stopping) {
      request.done().completeExceptionally(new ChangeLogException("WAL change log is closed"));
      return;
    }
    queue.add(request);
  }

  void stop() {
    stopping = true;
  }

  @Override
  public void run() {
    List<Request> group = new ArrayList<>();
    while (true) {
      Request first;
      try {
        first = queue.poll(50, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
      if (first == null) {
        if (stopping) {
          break;
        }
        continue;
      }
      group.clear();
      group.add(first);
      queue.drainTo(group, MAX_REQUESTS_PER_GROUP - 1);
      try {
        commit(group);
      } catch (IOException | RuntimeException e) {
        fail(e, group);
        return;
      }
    }
    // Closed while requests were still arriving: refuse them rather than leave them hanging.
    List<Request> rest = new ArrayList<>();
    queue.drainTo(rest);
    rest.forEach(
        r -> r.done().completeExceptionally(new ChangeLogException("WAL change log is closed")));
  }

  private void commit(List<Request> group) throws IOException {
    List<Placed> placed = new ArrayList<>();
    Segment segment = log.activeSegment();
    long position = segment.size();
    buffer.clear();
    for (Request r : group) {
      for (int i = 0; i < r.lsns().length; i++) {
        Lsn high = writtenHigh.get(r.sourceOid());
        if (high != null && !r.lsns()[i].isAfter(high)) {
          continue; // already in the log: publishing is idempotent by (source, lsn)
        }
        byte[] frame = r.frames()[i];
        if (position >= log.segmentBytes() && position > 0) {
          flush(segment);
          segment.force();
          segment = log.rotate();
          position = 0;
        }
        if (frame.length > buffer.remaining()) {
          flush(segment);
        }
        if (frame.length > buffer.capacity()) {
          segment.append(ByteBuffer.wrap(frame));
        } else {
          buffer.put(frame);
        }
        // Noted before the fsync: retention must never think a segment is free of this source.
        segment.noteEvent(r.sourceOid(), r.lsns()[i]);
        placed.add(
            new Placed(
                r.sourceOid(), r.lsns()[i], segment, position, frame.length - WalRecord.HEADER));
        position += frame.length;
        writtenHigh.put(r.sourceOid(), r.lsns()[i]);
      }
    }
    flush(segment);
    if (!placed.isEmpty()) {
      segment.force();
    }
    // Only now, with the data durable, do the events become visible to consumers.
    for (Placed p : placed) {
      log.index(p.sourceOid()).add(p.lsn(), p.segment().id(), p.position(), p.length());
    }
    List<Request> done = new ArrayList<>(group);
    // Completed on another thread: a caller's continuation must never stall the writer.
    completions.execute(() -> done.forEach(r -> r.done().complete(null)));
  }

  private void flush(Segment segment) throws IOException {
    buffer.flip();
    if (buffer.hasRemaining()) {
      segment.append(buffer);
    }
    buffer.clear();
  }

  private void fail(Throwable e, List<Request> group) {
    LOG.error("WAL change log write failed; the log refuses writes until it is reopened", e);
    failure = e;
    ChangeLogException error = failedLog(e);
    group.forEach(r -> r.done().completeExceptionally(error));
    List<Request> rest = new ArrayList<>();
    queue.drainTo(rest);
    rest.forEach(r -> r.done().completeExceptionally(error));
  }

  private static ChangeLogException failedLog(Throwable cause) {
    return new ChangeLogException(
        "WAL change log failed to write (" + cause + "); reopen it to recover", cause);
  }
}
