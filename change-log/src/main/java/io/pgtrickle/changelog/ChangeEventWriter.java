package io.pgtrickle.changelog;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;

/**
 * Writes change events as JSON (the format of {@link ChangeEventCodec}, byte for byte: what
 * Jackson's UTF-8 generator writes) one after another into a stream, each with one {@code write}
 * call on the stream when {@link #write} returns and nothing between them: a backend frames them
 * itself (a COPY row, a line). This is the hot loop of publishing, so the usual case takes no
 * generator: the envelope, column names and values of the usual types ({@code null}, {@link
 * String}, {@link Long}, {@link Integer}, {@link BigDecimal}, {@link Boolean}, {@link BigInteger})
 * are written as UTF-8 into a reused buffer, a string that needs no escaping (no quote, backslash,
 * control character or surrogate, see {@link JsonText}) is copied as its UTF-8 bytes, and a
 * transaction's shared timestamp is formatted once. Everything else (a string to escape or with
 * non-ASCII characters, a nested map or list, another type) is written by Jackson's generator,
 * configured as the codec's, into the same buffer.
 *
 * <p>Not thread-safe; one writer per publishing thread.
 */
public final class ChangeEventWriter implements AutoCloseable {

  private static final int INITIAL = 2048;

  /** A buffer grown past this by a large event is dropped after it, not kept. */
  private static final int KEEP = 1 << 20;

  /** Jackson's limit on the scale of a plain BigDecimal ({@code GeneratorBase}). */
  private static final int MAX_PLAIN_SCALE = 9999;

  private static final byte[] SOURCE_OID = ascii("{\"source_oid\":");
  private static final byte[] LSN = ascii(",\"lsn\":\"");
  private static final byte[] SEQ = ascii("\",\"seq\":");
  private static final byte[] XID_AFTER_LSN = ascii("\",\"xid\":");
  private static final byte[] XID = ascii(",\"xid\":");
  private static final byte[][] ACTION_THEN_COLUMNS = new byte[ChangeAction.values().length][];
  private static final byte[] OLD_COLUMNS = ascii(",\"old_columns\":");
  private static final byte[] TIMESTAMP = ascii(",\"timestamp\":");
  private static final byte[] JSON_TEXT = ascii(",\"json_text\":true");
  private static final byte[] OLD_KEY_ONLY = ascii(",\"old_key_only\":true");
  private static final byte[] NULL = ascii("null");
  private static final byte[] TRUE = ascii("true");
  private static final byte[] FALSE = ascii("false");

  static {
    for (ChangeAction a : ChangeAction.values()) {
      ACTION_THEN_COLUMNS[a.ordinal()] = ascii(",\"action\":\"" + a.name() + "\",\"columns\":");
    }
  }

  private final OutputStream out;
  private byte[] buf = new byte[INITIAL];
  private int len;

  /** Appends what the generator writes to {@link #buf}. */
  private final OutputStream spill =
      new OutputStream() {
        @Override
        public void write(int b) {
          ensure(1);
          buf[len++] = (byte) b;
        }

        @Override
        public void write(byte[] b, int offset, int count) {
          raw(b, offset, count);
        }
      };

  /** For what the direct path does not write; made on first need. */
  private JsonGenerator gen;

  private Instant lastTimestamp;
  private byte[] lastTimestampJson;

  /**
   * A writer into {@code out}.
   *
   * @param out receives each event's UTF-8 JSON, in one {@code write} call, when {@link #write}
   *     returns
   */
  public ChangeEventWriter(OutputStream out) {
    this.out = out;
  }

  /** A writer for {@link #toBytes}. */
  ChangeEventWriter() {
    this(OutputStream.nullOutputStream());
  }

  /**
   * Writes one event into the stream.
   *
   * @param event the event
   * @throws MalformedEventException if a column value has a type JSON cannot carry; nothing of the
   *     event reaches the stream, and the writer stays usable
   * @throws UncheckedIOException if the stream fails
   */
  public void write(ChangeEvent event) {
    encode(event);
    try {
      out.write(buf, 0, len);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    trim();
  }

  /** The event's JSON in an array of its own (for {@link ChangeEventCodec#encode}). */
  byte[] toBytes(ChangeEvent event) {
    encode(event);
    byte[] json = Arrays.copyOf(buf, len);
    trim();
    return json;
  }

  private void trim() {
    if (buf.length > KEEP) {
      buf = new byte[INITIAL];
    }
  }

  private void encode(ChangeEvent event) {
    len = 0;
    Lsn lsn = event.lsn();
    try {
      raw(SOURCE_OID);
      number(event.sourceOid());
      raw(LSN);
      ensure(Lsn.WAL_TEXT_MAX);
      len = lsn.writeWalText(buf, len);
      if (lsn.seq() != 0) {
        // Only when there is one, so events of one-change transactions look as before.
        raw(SEQ);
        number(lsn.seq());
        raw(XID);
      } else {
        raw(XID_AFTER_LSN);
      }
      number(event.xid());
      raw(ACTION_THEN_COLUMNS[event.action().ordinal()]);
      columns(event.columns(), "columns");
      raw(OLD_COLUMNS);
      columns(event.oldColumns(), "old_columns");
      raw(TIMESTAMP);
      timestamp(event.timestamp());
      if (event.jsonText()) {
        // Only when set, so events of other tables look as before.
        raw(JSON_TEXT);
      }
      if (event.oldKeyOnly()) {
        // Only when set, so events of REPLICA IDENTITY FULL tables look as before.
        raw(OLD_KEY_ONLY);
      }
      ensure(1);
      buf[len++] = '}';
    } catch (JsonProcessingException e) {
      gen = null; // its state is unknown: the next value gets a new one
      throw new MalformedEventException(
          "change event at lsn " + lsn + " cannot be written as JSON: " + e.getMessage(), e);
    } catch (IOException e) {
      gen = null;
      throw new UncheckedIOException(e);
    }
  }

  private void timestamp(Instant timestamp) throws IOException {
    if (!timestamp.equals(lastTimestamp)) {
      int start = len;
      string(timestamp.toString());
      lastTimestampJson = Arrays.copyOfRange(buf, start, len);
      lastTimestamp = timestamp;
    } else {
      raw(lastTimestampJson);
    }
  }

  private void columns(Map<String, Object> columns, String field) throws IOException {
    if (columns == null) {
      raw(NULL);
      return;
    }
    ensure(1);
    buf[len++] = '{';
    boolean first = true;
    for (Map.Entry<String, Object> column : columns.entrySet()) {
      String name = column.getKey();
      if (name == null) {
        throw new MalformedEventException(
            "change event field '" + field + "' has a column without a name");
      }
      if (!first) {
        ensure(1);
        buf[len++] = ',';
      }
      first = false;
      string(name);
      ensure(1);
      buf[len++] = ':';
      value(column.getValue(), field);
    }
    ensure(1);
    buf[len++] = '}';
  }

  /** The types the decoders produce are written directly; anything else as data binding does. */
  private void value(Object value, String field) throws IOException {
    if (value == null) {
      raw(NULL);
    } else if (value instanceof String s) {
      string(s);
    } else if (value instanceof Long l) {
      number(l);
    } else if (value instanceof Integer i) {
      number(i);
    } else if (value instanceof BigDecimal d) {
      decimal(d);
    } else if (value instanceof Boolean b) {
      raw(b ? TRUE : FALSE);
    } else if (value instanceof BigInteger b) {
      asciiDigits(b.toString());
    } else {
      try {
        ChangeEventCodec.mapper().writeValue(gen(), value);
        gen.flush();
      } catch (JsonProcessingException e) {
        gen = null;
        throw new MalformedEventException(
            "change event field '" + field + "' has a value JSON cannot carry: " + e.getMessage(),
            e);
      }
    }
  }

  /**
   * A JSON string: its UTF-8 bytes as they are when nothing in it needs escaping, else Jackson's. A
   * string whose first {@value JsonText#BULK} characters or a few samples of the rest are not all
   * plain ASCII goes to Jackson at once: text in another script would only be encoded twice.
   */
  private void string(String s) throws IOException {
    int n = s.length();
    int prefix = Math.min(n, JsonText.BULK);
    ensure(prefix + 2);
    byte[] b = buf;
    int p = len;
    b[p++] = '"';
    int i = 0;
    while (i < prefix && JsonText.plain(s.charAt(i))) {
      b[p++] = (byte) s.charAt(i++);
    }
    if (i == n) {
      b[p++] = '"';
      len = p;
      return;
    }
    if (i == prefix && JsonText.plainSamples(s, prefix)) {
      byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
      if (JsonText.plainUtf8(s, utf8)) {
        ensure(utf8.length + 2);
        buf[len++] = '"';
        System.arraycopy(utf8, 0, buf, len, utf8.length);
        len += utf8.length;
        buf[len++] = '"';
        return;
      }
    }
    gen().writeString(s);
    gen.flush();
  }

  /** As Jackson with WRITE_BIGDECIMAL_AS_PLAIN, which refuses (and reports) larger scales. */
  private void decimal(BigDecimal d) throws IOException {
    if (d.scale() >= -MAX_PLAIN_SCALE && d.scale() <= MAX_PLAIN_SCALE) {
      asciiDigits(d.toPlainString());
    } else {
      gen().writeNumber(d);
      gen.flush();
    }
  }

  /** Decimal digits as {@link Long#toString(long)} writes them. */
  private void number(long v) {
    if (v == Long.MIN_VALUE) {
      asciiDigits(Long.toString(v));
      return;
    }
    ensure(20);
    if (v < 0) {
      buf[len++] = '-';
      v = -v;
    }
    int digits = 1;
    for (long rest = v / 10; rest != 0; rest /= 10) {
      digits++;
    }
    int p = len + digits;
    len = p;
    do {
      buf[--p] = (byte) ('0' + (int) (v % 10));
      v /= 10;
    } while (v != 0);
  }

  /** A text known to be ASCII (a number's digits, sign, point). */
  private void asciiDigits(String s) {
    int n = s.length();
    ensure(n);
    for (int i = 0; i < n; i++) {
      buf[len++] = (byte) s.charAt(i);
    }
  }

  private JsonGenerator gen() throws IOException {
    if (gen == null) {
      gen = ChangeEventCodec.mapper().createGenerator(spill);
      // Values are written one at a time at the root: no separator between them.
      gen.setRootValueSeparator(null);
    }
    return gen;
  }

  private void raw(byte[] b) {
    raw(b, 0, b.length);
  }

  private void raw(byte[] b, int offset, int count) {
    ensure(count);
    System.arraycopy(b, offset, buf, len, count);
    len += count;
  }

  private void ensure(int more) {
    if (len + more > buf.length) {
      buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + more));
    }
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  /** Releases the generator, if one was made; does not close the stream. */
  @Override
  public void close() {
    if (gen != null) {
      try {
        gen.close();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      } finally {
        gen = null;
      }
    }
  }
}
