package io.pgtrickle.changelog.postgres;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Rows of {@code (source_oid, lsn, seq, payload)} in COPY's text format, built straight from the
 * event's UTF-8 JSON bytes. COPY instead of a multi-row INSERT: the server neither parses nor binds
 * hundreds of parameters per batch, and the client never turns the JSON into a String.
 */
final class PgCopyRows {

  private byte[] buffer = new byte[64 * 1024];
  private int length;
  private int rows;

  void add(long sourceOid, String lsn, int seq, byte[] json) {
    ascii(Long.toString(sourceOid));
    put((byte) '\t');
    ascii(lsn);
    put((byte) '\t');
    ascii(Integer.toString(seq));
    put((byte) '\t');
    int start = 0;
    for (int i = 0; i < json.length; i++) {
      byte escape =
          switch (json[i]) {
            // COPY text format gives backslash, tab, newline and carriage return a meaning.
            case '\\' -> '\\';
            case '\t' -> 't';
            case '\n' -> 'n';
            case '\r' -> 'r';
            default -> 0;
          };
      if (escape != 0) {
        put(json, start, i - start);
        put((byte) '\\');
        put(escape);
        start = i + 1;
      }
    }
    put(json, start, json.length - start);
    put((byte) '\n');
    rows++;
  }

  private void ascii(String s) {
    byte[] b = s.getBytes(StandardCharsets.US_ASCII);
    put(b, 0, b.length);
  }

  private void put(byte b) {
    ensure(1);
    buffer[length++] = b;
  }

  private void put(byte[] b, int offset, int count) {
    ensure(count);
    System.arraycopy(b, offset, buffer, length, count);
    length += count;
  }

  private void ensure(int more) {
    if (length + more > buffer.length) {
      buffer = Arrays.copyOf(buffer, Math.max(buffer.length * 2, length + more));
    }
  }

  int rows() {
    return rows;
  }

  byte[] buffer() {
    return buffer;
  }

  int length() {
    return length;
  }
}
