package io.pgtrickle.changelog.postgres;

import io.pgtrickle.changelog.ChangeEvent;
import io.pgtrickle.changelog.ChangeEventWriter;
import io.pgtrickle.changelog.Lsn;
import java.io.OutputStream;
import java.sql.SQLException;
import java.util.Arrays;
import org.postgresql.copy.CopyIn;

/**
 * Rows of {@code (source_oid bigint, lsn pg_lsn, seq int4, payload text)} in COPY's binary format,
 * streamed into a {@link CopyIn} while they are being encoded, so that the server inserts the first
 * rows while the client still writes JSON for the last ones. Binary rather than text: numbers and
 * the LSN travel as 8- and 4-byte integers (no text to format or parse), and the JSON goes as it
 * is, where the text format makes both sides scan it byte by byte for characters to escape.
 *
 * <p>Format (PostgreSQL's COPY documentation): the signature {@code PGCOPY\n\377\r\n\0}, a 32-bit
 * flags field and a 32-bit header extension length (both 0); per row a 16-bit field count, then
 * each field as a 32-bit length and its bytes in the type's binary form ({@code pg_lsn}: a 64-bit
 * integer); a 16-bit -1 ends the data. Integers are big-endian.
 */
final class PgCopyBinary extends OutputStream {

  private static final byte[] HEADER = {
    'P', 'G', 'C', 'O', 'P', 'Y', '\n', (byte) 0xFF, '\r', '\n', 0, 0, 0, 0, 0, 0, 0, 0, 0
  };

  /** Bytes gathered before they are sent: a few round trips' worth, not the whole publish. */
  static final int CHUNK = 256 * 1024;

  private static final int BUFFER = CHUNK + 16 * 1024;

  /**
   * This thread's previous instance (its buffer and JSON writer), handed back by {@link
   * #release()}: a publish of 100 events of 1 KB otherwise allocates (and zeroes) 272 KiB for 100
   * KiB of rows. One per publishing thread (the backend's pool).
   */
  private static final ThreadLocal<PgCopyBinary> SPARE = new ThreadLocal<>();

  private final ChangeEventWriter json = new ChangeEventWriter(this);
  private CopyIn copy;
  private byte[] buffer = new byte[BUFFER];
  private int length;
  private int rows;

  private PgCopyBinary() {}

  /**
   * Rows for {@code copy}, written with this thread's spare buffer and writer if it has them.
   *
   * @param copy a binary COPY just started
   * @return the rows, header written; call {@link #release()} once the COPY ended or failed
   */
  static PgCopyBinary start(CopyIn copy) {
    PgCopyBinary rows = SPARE.get();
    if (rows == null) {
      rows = new PgCopyBinary();
    } else {
      SPARE.remove();
    }
    rows.copy = copy;
    rows.length = 0;
    rows.rows = 0;
    rows.put(HEADER, 0, HEADER.length);
    return rows;
  }

  /**
   * Hands the buffer and writer to this thread's next publish; this instance must not be used
   * afterwards. Call once the COPY ended or was cancelled.
   */
  void release() {
    copy = null;
    if (buffer.length != BUFFER) {
      buffer = new byte[BUFFER]; // grown by a large publish: not kept
    }
    SPARE.set(this);
  }

  /**
   * Encodes one event as a row and sends the rows gathered so far once they fill a chunk.
   *
   * @throws io.pgtrickle.changelog.MalformedEventException if the event cannot be written as JSON
   */
  void add(long sourceOid, ChangeEvent event) throws SQLException {
    Lsn lsn = event.lsn();
    putShort(4);
    putInt(8);
    putLong(sourceOid);
    putInt(8);
    putLong(lsn.value());
    putInt(4);
    putInt(lsn.seq());
    int lengthAt = length;
    putInt(0); // the payload's length, known once it is written
    int start = length;
    json.write(event);
    int payload = length - start;
    buffer[lengthAt] = (byte) (payload >>> 24);
    buffer[lengthAt + 1] = (byte) (payload >>> 16);
    buffer[lengthAt + 2] = (byte) (payload >>> 8);
    buffer[lengthAt + 3] = (byte) payload;
    rows++;
    if (length >= CHUNK) {
      send();
    }
  }

  /** Sends the rest and the end marker, and ends the COPY: the number of rows the server took. */
  long finish() throws SQLException {
    putShort(-1);
    send();
    return copy.endCopy();
  }

  int rows() {
    return rows;
  }

  private void send() throws SQLException {
    copy.writeToCopy(buffer, 0, length);
    length = 0;
  }

  @Override
  public void write(int b) {
    ensure(1);
    buffer[length++] = (byte) b;
  }

  @Override
  public void write(byte[] b, int offset, int count) {
    put(b, offset, count);
  }

  private void put(byte[] b, int offset, int count) {
    ensure(count);
    System.arraycopy(b, offset, buffer, length, count);
    length += count;
  }

  private void putShort(int v) {
    ensure(2);
    buffer[length++] = (byte) (v >>> 8);
    buffer[length++] = (byte) v;
  }

  private void putInt(int v) {
    ensure(4);
    buffer[length++] = (byte) (v >>> 24);
    buffer[length++] = (byte) (v >>> 16);
    buffer[length++] = (byte) (v >>> 8);
    buffer[length++] = (byte) v;
  }

  private void putLong(long v) {
    putInt((int) (v >>> 32));
    putInt((int) v);
  }

  private void ensure(int more) {
    if (length + more > buffer.length) {
      buffer = Arrays.copyOf(buffer, Math.max(buffer.length * 2, length + more));
    }
  }
}
