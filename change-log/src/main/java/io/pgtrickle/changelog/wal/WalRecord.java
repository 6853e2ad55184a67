package io.pgtrickle.changelog.wal;

import io.pgtrickle.changelog.Lsn;
import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * The on-disk frame of one event in a segment file:
 *
 * <pre>
 *   int  length    bytes of the body that follows the checksum
 *   int  crc32c    CRC32C of the body
 *   body:
 *     long source_oid in the low 32 bits, the LSN's sub-position (seq) in the high 32 bits
 *     long lsn
 *     byte[] the event's JSON (length - 16 bytes)
 * </pre>
 *
 * All integers are big-endian. OIDs are 32-bit, so the sub-position fits the unused half of the
 * source field, and files written before sub-positions existed read as sub-position 0. The checksum
 * covers the body, so a torn write (a partial body, or garbage after a crash) is detected; the
 * length is bounded, so a garbage length is too.
 */
final class WalRecord {

  static final int HEADER = 8;
  static final int BODY_PREFIX = 16;

  /** Larger events than this are refused: it also bounds a corrupt length read at recovery. */
  static final int MAX_BODY = 64 * 1024 * 1024;

  private WalRecord() {}

  /** Builds the complete frame; called on the publisher's thread so checksums run in parallel. */
  static byte[] frame(long sourceOid, Lsn lsn, byte[] json) {
    int bodyLength = BODY_PREFIX + json.length;
    if (bodyLength > MAX_BODY) {
      throw new io.pgtrickle.changelog.MalformedEventException(
          "change event at lsn "
              + lsn
              + " is "
              + json.length
              + " bytes, above the WAL backend's limit of "
              + (MAX_BODY - BODY_PREFIX));
    }
    ByteBuffer b = ByteBuffer.allocate(HEADER + bodyLength);
    b.putInt(bodyLength);
    b.putInt(0);
    b.putLong(((long) lsn.seq() << 32) | sourceOid);
    b.putLong(lsn.value());
    b.put(json);
    CRC32C crc = new CRC32C();
    crc.update(b.array(), HEADER, bodyLength);
    b.putInt(4, (int) crc.getValue());
    return b.array();
  }

  /** The source OID of a frame body. */
  static long sourceOf(ByteBuffer body) {
    return body.getLong(0) & 0xFFFF_FFFFL;
  }

  /** The position (LSN and sub-position) of a frame body. */
  static Lsn lsnOf(ByteBuffer body) {
    return Lsn.of(body.getLong(8), (int) (body.getLong(0) >>> 32));
  }

  /** Whether {@code body} (without header) matches the checksum from the header. */
  static boolean checksumMatches(ByteBuffer body, int expected) {
    CRC32C crc = new CRC32C();
    crc.update(body.duplicate());
    return (int) crc.getValue() == expected;
  }
}
