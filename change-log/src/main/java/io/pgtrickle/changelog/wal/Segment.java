package io.pgtrickle.changelog.wal;

import io.pgtrickle.changelog.Lsn;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;

/**
 * One append-only segment file, {@code <id>.wal}, with the highest LSN of each source it holds:
 * that summary is what retention needs to decide whether every consumer is past the segment.
 */
final class Segment {

  private final long id;
  private final Path path;
  private final FileChannel channel;
  private volatile long size;
  private final Map<Long, Lsn> highestLsnBySource = new HashMap<>();

  private Segment(long id, Path path, FileChannel channel, long size) {
    this.id = id;
    this.path = path;
    this.channel = channel;
    this.size = size;
  }

  static String fileName(long id) {
    return String.format("%020d.wal", id);
  }

  static Segment open(Path dir, long id) throws IOException {
    Path path = dir.resolve(fileName(id));
    FileChannel ch =
        FileChannel.open(
            path, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
    return new Segment(id, path, ch, ch.size());
  }

  long id() {
    return id;
  }

  Path path() {
    return path;
  }

  long size() {
    return size;
  }

  /** Appends the buffer at the end; not durable until {@link #force()}. */
  void append(ByteBuffer buffer) throws IOException {
    long at = size;
    while (buffer.hasRemaining()) {
      at += channel.write(buffer, at);
    }
    size = at;
  }

  void force() throws IOException {
    channel.force(false);
  }

  /** Reads {@code length} bytes at {@code position}; safe from any thread. */
  ByteBuffer read(long position, int length) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(length);
    long at = position;
    while (b.hasRemaining()) {
      int n = channel.read(b, at);
      if (n < 0) {
        throw new IOException(
            "segment " + path + " ends at " + at + ", before " + (position + length));
      }
      at += n;
    }
    return b.flip();
  }

  /** Cuts a torn tail off and makes the cut durable. */
  void truncate(long length) throws IOException {
    channel.truncate(length);
    channel.force(true);
    size = length;
  }

  synchronized void noteEvent(long sourceOid, Lsn lsn) {
    highestLsnBySource.merge(sourceOid, lsn, Lsn::max);
  }

  synchronized Map<Long, Lsn> highestLsnBySource() {
    return new HashMap<>(highestLsnBySource);
  }

  void close() throws IOException {
    channel.close();
  }

  void delete() throws IOException {
    channel.close();
    Files.deleteIfExists(path);
  }
}
