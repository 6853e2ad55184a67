package io.pgtrickle.changelog.wal;

import io.pgtrickle.changelog.ChangeEvent;
import io.pgtrickle.changelog.ChangeEventCodec;
import io.pgtrickle.changelog.ChangeLogException;
import io.pgtrickle.changelog.Lsn;
import io.pgtrickle.changelog.internal.DaemonThreads;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.LongFunction;

/**
 * The segment files of one directory, the per-source index over them, and the group-commit writer.
 * Knows nothing of consumers: {@link WalBackend} tells it what every consumer acknowledged, and it
 * deletes the segments they are all past.
 */
final class WalLog implements AutoCloseable {

  private final Path dir;
  private final long segmentBytes;
  private final ConcurrentSkipListMap<Long, Segment> segments = new ConcurrentSkipListMap<>();
  private final Map<Long, SourceIndex> indexes = new ConcurrentHashMap<>();
  // Readers hold the read lock while they read a segment; deleting segments takes the write lock.
  private final ReadWriteLock segmentLock = new ReentrantReadWriteLock();
  private final ExecutorService completions =
      Executors.newSingleThreadExecutor(new DaemonThreads("changelog-wal-complete"));
  private final GroupCommitWriter writer;
  private final Thread writerThread;

  private WalLog(Path dir, long segmentBytes) throws IOException {
    this.dir = dir;
    this.segmentBytes = segmentBytes;
    recover();
    Map<Long, Lsn> high = new HashMap<>();
    indexes.forEach((source, index) -> high.put(source, index.high()));
    this.writer = new GroupCommitWriter(this, completions, high);
    this.writerThread = new DaemonThreads("changelog-wal-writer").newThread(writer);
    writerThread.start();
  }

  static WalLog open(Path dir, long segmentBytes) throws IOException {
    return new WalLog(dir, segmentBytes);
  }

  private void recover() throws IOException {
    List<Long> ids = new ArrayList<>();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.wal")) {
      for (Path f : files) {
        String name = f.getFileName().toString();
        try {
          ids.add(Long.parseLong(name.substring(0, name.length() - ".wal".length())));
        } catch (NumberFormatException e) {
          throw new ChangeLogException("unexpected file in WAL directory: " + f, e);
        }
      }
    }
    ids.sort(Long::compare);
    for (int i = 0; i < ids.size(); i++) {
      Segment segment = Segment.open(dir, ids.get(i));
      segments.put(segment.id(), segment);
      WalRecovery.scan(
          segment,
          i == ids.size() - 1,
          (seg, source, lsn, position, length) -> {
            SourceIndex index = index(source);
            Lsn high = index.high();
            if (high == null || lsn.isAfter(high)) {
              seg.noteEvent(source, lsn);
              index.add(lsn, seg.id(), position, length);
            }
          });
    }
    if (segments.isEmpty()) {
      segments.put(1L, Segment.open(dir, 1L));
      WalFiles.syncDirectory(dir);
    }
  }

  long segmentBytes() {
    return segmentBytes;
  }

  Segment activeSegment() {
    return segments.lastEntry().getValue();
  }

  /** Starts a new segment; called by the writer only, after fsync'ing the current one. */
  Segment rotate() throws IOException {
    Segment next = Segment.open(dir, activeSegment().id() + 1);
    WalFiles.syncDirectory(dir);
    segments.put(next.id(), next);
    return next;
  }

  SourceIndex index(long sourceOid) {
    return indexes.computeIfAbsent(sourceOid, k -> new SourceIndex());
  }

  /** Appends a validated batch; completes once it is fsync'd. */
  CompletableFuture<Void> append(long sourceOid, List<ChangeEvent> events) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    Lsn[] lsns = new Lsn[events.size()];
    byte[][] frames = new byte[events.size()][];
    for (int i = 0; i < lsns.length; i++) {
      ChangeEvent e = events.get(i);
      lsns[i] = e.lsn();
      frames[i] = WalRecord.frame(sourceOid, lsns[i], ChangeEventCodec.encode(e));
    }
    writer.submit(new GroupCommitWriter.Request(sourceOid, lsns, frames, done));
    return done;
  }

  /** Reads the events at the given index entries, stopping early at a deleted segment. */
  List<ChangeEvent> read(SourceIndex.Entry[] entries) throws IOException {
    List<ChangeEvent> out = new ArrayList<>(entries.length);
    segmentLock.readLock().lock();
    try {
      for (SourceIndex.Entry e : entries) {
        Segment segment = segments.get(e.segment());
        if (segment == null) {
          break;
        }
        ByteBuffer frame = segment.read(e.position(), WalRecord.HEADER + e.length());
        int crc = frame.getInt(4);
        ByteBuffer body = frame.slice(WalRecord.HEADER, e.length());
        if (frame.getInt(0) != e.length() || !WalRecord.checksumMatches(body, crc)) {
          throw new ChangeLogException(
              "WAL segment " + segment.path() + " is corrupt at byte " + e.position());
        }
        byte[] json = new byte[e.length() - WalRecord.BODY_PREFIX];
        body.get(WalRecord.BODY_PREFIX, json);
        out.add(ChangeEventCodec.decode(json));
      }
    } finally {
      segmentLock.readLock().unlock();
    }
    return out;
  }

  /**
   * Deletes the oldest sealed segments in which every event is at or below {@code minAcked} of its
   * source (the lowest position any consumer acknowledged).
   *
   * @return the number of segments deleted
   */
  int retain(LongFunction<Lsn> minAcked) throws IOException {
    List<Segment> doomed = new ArrayList<>();
    Segment active = activeSegment();
    for (Segment s : segments.values()) {
      if (s == active || !fullyAcknowledged(s, minAcked)) {
        break;
      }
      doomed.add(s);
    }
    if (doomed.isEmpty()) {
      return 0;
    }
    long upTo = doomed.get(doomed.size() - 1).id();
    segmentLock.writeLock().lock();
    try {
      for (Segment s : doomed) {
        segments.remove(s.id());
        s.delete();
      }
      indexes.values().forEach(index -> index.dropUpTo(upTo));
    } finally {
      segmentLock.writeLock().unlock();
    }
    WalFiles.syncDirectory(dir);
    return doomed.size();
  }

  private static boolean fullyAcknowledged(Segment s, LongFunction<Lsn> minAcked) {
    for (Map.Entry<Long, Lsn> e : s.highestLsnBySource().entrySet()) {
      if (e.getValue().isAfter(minAcked.apply(e.getKey()))) {
        return false;
      }
    }
    return true;
  }

  int segmentCount() {
    return segments.size();
  }

  @Override
  public void close() {
    writer.stop();
    try {
      writerThread.join(30_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    completions.shutdown();
    for (Segment s : segments.values()) {
      try {
        s.close();
      } catch (IOException ignored) {
        // Closing a read/write channel after its last fsync loses nothing.
      }
    }
  }
}
