package io.pgtrickle.cdc.pgoutput;

import io.pgtrickle.cdc.pgoutput.PgOutputMessage.Begin;
import io.pgtrickle.cdc.pgoutput.PgOutputMessage.Column;
import io.pgtrickle.cdc.pgoutput.PgOutputMessage.Commit;
import io.pgtrickle.cdc.pgoutput.PgOutputMessage.Delete;
import io.pgtrickle.cdc.pgoutput.PgOutputMessage.Ignored;
import io.pgtrickle.cdc.pgoutput.PgOutputMessage.Insert;
import io.pgtrickle.cdc.pgoutput.PgOutputMessage.LogicalMessage;
import io.pgtrickle.cdc.pgoutput.PgOutputMessage.Relation;
import io.pgtrickle.cdc.pgoutput.PgOutputMessage.Truncate;
import io.pgtrickle.cdc.pgoutput.PgOutputMessage.Update;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads pgoutput protocol version 1 messages (PostgreSQL's "Logical Replication Message Formats").
 * Stateless and pure: bytes in, a {@link PgOutputMessage} out, so it is tested without a server.
 * Values are in text format (the consumer never asks for {@code binary}); strings are UTF-8, the
 * client encoding PgJDBC sets.
 */
public final class PgOutputDecoder {

  /** PostgreSQL timestamps count from 2000-01-01; this is that instant in Unix microseconds. */
  static final long POSTGRES_EPOCH_MICROS = 946_684_800_000_000L;

  private PgOutputDecoder() {}

  /**
   * Decodes one message.
   *
   * @param buffer the message, positioned at its type byte (as PgJDBC hands it over)
   * @return the message
   * @throws PgOutputException if the bytes are not a well-formed version 1 message
   */
  public static PgOutputMessage decode(ByteBuffer buffer) {
    ByteBuffer b = buffer.slice();
    char tag = (char) b.get();
    try {
      PgOutputMessage message =
          switch (tag) {
            case 'B' -> new Begin(b.getLong(), toUnixMicros(b.getLong()), uint32(b.getInt()));
            case 'C' -> commit(b);
            case 'R' -> relation(b);
            case 'I' -> insert(b);
            case 'U' -> update(b);
            case 'D' -> delete(b);
            case 'T' -> truncate(b);
            case 'M' -> message(b);
            // Origin and Type: nothing the change log carries.
            case 'O', 'Y' -> new Ignored(tag);
            default ->
                throw new PgOutputException(
                    "unknown pgoutput message type '"
                        + tag
                        + "' (is the slot's protocol version 1 with streaming off?)");
          };
      return message;
    } catch (BufferUnderflowException e) {
      throw new PgOutputException("truncated pgoutput message of type '" + tag + "'", e);
    }
  }

  private static Commit commit(ByteBuffer b) {
    b.get(); // flags: unused in protocol version 1
    return new Commit(b.getLong(), b.getLong(), toUnixMicros(b.getLong()));
  }

  private static LogicalMessage message(ByteBuffer b) {
    boolean transactional = (b.get() & 1) != 0;
    long lsn = b.getLong();
    String prefix = string(b);
    int length = b.getInt();
    if (length < 0 || length > b.remaining()) {
      throw new PgOutputException(
          "logical decoding message of " + length + " bytes, " + b.remaining() + " left");
    }
    byte[] content = new byte[length];
    b.get(content);
    return new LogicalMessage(transactional, lsn, prefix, content);
  }

  private static Relation relation(ByteBuffer b) {
    long oid = uint32(b.getInt());
    String namespace = string(b);
    String name = string(b);
    char identity = (char) b.get();
    int count = b.getShort();
    List<Column> columns = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      boolean key = (b.get() & 1) != 0;
      String column = string(b);
      int type = b.getInt();
      int modifier = b.getInt();
      columns.add(new Column(column, type, modifier, key));
    }
    return new Relation(
        oid, namespace.isEmpty() ? "pg_catalog" : namespace, name, identity, columns);
  }

  private static Insert insert(ByteBuffer b) {
    long oid = uint32(b.getInt());
    expect(b, 'N', "INSERT");
    return new Insert(oid, tuple(b));
  }

  private static Update update(ByteBuffer b) {
    long oid = uint32(b.getInt());
    char next = (char) b.get();
    TupleData old = null;
    boolean oldIsKey = false;
    if (next == 'K' || next == 'O') {
      oldIsKey = next == 'K';
      old = tuple(b);
      next = (char) b.get();
    }
    if (next != 'N') {
      throw new PgOutputException("UPDATE message without new tuple ('" + next + "')");
    }
    return new Update(oid, old, oldIsKey, tuple(b));
  }

  private static Delete delete(ByteBuffer b) {
    long oid = uint32(b.getInt());
    char kind = (char) b.get();
    if (kind != 'K' && kind != 'O') {
      throw new PgOutputException("DELETE message without old key or row ('" + kind + "')");
    }
    return new Delete(oid, tuple(b), kind == 'K');
  }

  private static Truncate truncate(ByteBuffer b) {
    int count = b.getInt();
    int options = b.get();
    List<Long> oids = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      oids.add(uint32(b.getInt()));
    }
    return new Truncate(oids, (options & 1) != 0, (options & 2) != 0);
  }

  private static TupleData tuple(ByteBuffer b) {
    int count = b.getShort();
    TupleData.Kind[] kinds = new TupleData.Kind[count];
    String[] texts = new String[count];
    for (int i = 0; i < count; i++) {
      char kind = (char) b.get();
      switch (kind) {
        case 'n' -> kinds[i] = TupleData.Kind.NULL;
        case 'u' -> kinds[i] = TupleData.Kind.UNCHANGED_TOAST;
        case 't' -> {
          kinds[i] = TupleData.Kind.TEXT;
          int length = b.getInt();
          texts[i] = utf8(b, length);
        }
        default ->
            throw new PgOutputException(
                "column " + i + " has format '" + kind + "'; only text format is supported");
      }
    }
    return new TupleData(kinds, texts);
  }

  private static void expect(ByteBuffer b, char wanted, String message) {
    char got = (char) b.get();
    if (got != wanted) {
      throw new PgOutputException(
          message + " message: expected '" + wanted + "', got '" + got + "'");
    }
  }

  private static String string(ByteBuffer b) {
    int start = b.position();
    int end = start;
    while (b.get(end) != 0) {
      end++;
    }
    String s = utf8(b, end - start);
    b.get(); // the terminating zero
    return s;
  }

  private static String utf8(ByteBuffer b, int length) {
    if (length < 0 || length > b.remaining()) {
      throw new BufferUnderflowException();
    }
    String s;
    if (b.hasArray()) {
      s = new String(b.array(), b.arrayOffset() + b.position(), length, StandardCharsets.UTF_8);
      b.position(b.position() + length);
    } else {
      byte[] bytes = new byte[length];
      b.get(bytes);
      s = new String(bytes, StandardCharsets.UTF_8);
    }
    return s;
  }

  private static long uint32(int value) {
    return Integer.toUnsignedLong(value);
  }

  private static long toUnixMicros(long postgresMicros) {
    return postgresMicros + POSTGRES_EPOCH_MICROS;
  }
}
