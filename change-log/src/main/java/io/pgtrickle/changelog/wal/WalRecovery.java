package io.pgtrickle.changelog.wal;

import io.pgtrickle.changelog.ChangeLogException;
import io.pgtrickle.changelog.Lsn;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rebuilds the index from the segment files at open. Every frame's length and checksum is checked.
 * In the last segment the first bad frame marks a torn tail (a write cut short by a crash: those
 * events were never acknowledged to a publisher, because acknowledgment waits for fsync), so the
 * file is truncated there. A bad frame in an older, sealed segment is real corruption, and opening
 * fails rather than silently dropping durable events.
 */
final class WalRecovery {

  private static final Logger LOG = LoggerFactory.getLogger(WalRecovery.class);

  /** Receives each valid frame found. */
  interface Sink {
    void event(Segment segment, long sourceOid, Lsn lsn, long position, int bodyLength);
  }

  private WalRecovery() {}

  /**
   * Scans one segment and feeds its valid frames to {@code sink}.
   *
   * @return the number of bytes cut off a torn tail (0 if none)
   */
  static long scan(Segment segment, boolean last, Sink sink) throws IOException {
    long size = segment.size();
    long valid = 0;
    if (size > 0) {
      try (FileChannel ch = FileChannel.open(segment.path(), StandardOpenOption.READ)) {
        MappedByteBuffer map = ch.map(FileChannel.MapMode.READ_ONLY, 0, size);
        valid = scanFrames(map, segment, sink);
      }
    }
    if (valid == size) {
      return 0;
    }
    if (!last) {
      throw new ChangeLogException(
          "WAL segment "
              + segment.path()
              + " is corrupt at byte "
              + valid
              + " of "
              + size
              + "; it is not the last segment, so this is not a torn write");
    }
    LOG.warn(
        "WAL segment {}: truncating a torn tail of {} bytes at byte {}",
        segment.path(),
        size - valid,
        valid);
    segment.truncate(valid);
    return size - valid;
  }

  private static long scanFrames(ByteBuffer map, Segment segment, Sink sink) {
    int position = 0;
    int limit = map.limit();
    while (limit - position >= WalRecord.HEADER) {
      int length = map.getInt(position);
      int crc = map.getInt(position + 4);
      if (length < WalRecord.BODY_PREFIX
          || length > WalRecord.MAX_BODY
          || limit - position - WalRecord.HEADER < length) {
        break;
      }
      ByteBuffer body = map.slice(position + WalRecord.HEADER, length);
      if (!WalRecord.checksumMatches(body, crc)) {
        break;
      }
      sink.event(segment, WalRecord.sourceOf(body), WalRecord.lsnOf(body), position, length);
      position += WalRecord.HEADER + length;
    }
    return position;
  }
}
