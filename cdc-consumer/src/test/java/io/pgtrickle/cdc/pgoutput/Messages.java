package io.pgtrickle.cdc.pgoutput;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/** Builds pgoutput version 1 messages byte by byte, as a walsender would send them. */
final class Messages {

  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
  private final DataOutputStream out = new DataOutputStream(bytes);

  static Messages of(char tag) {
    return new Messages().b(tag);
  }

  Messages b(int v) {
    return io(() -> out.writeByte(v));
  }

  Messages i16(int v) {
    return io(() -> out.writeShort(v));
  }

  Messages i32(int v) {
    return io(() -> out.writeInt(v));
  }

  Messages i64(long v) {
    return io(() -> out.writeLong(v));
  }

  Messages str(String s) {
    return io(
        () -> {
          out.write(s.getBytes(StandardCharsets.UTF_8));
          out.writeByte(0);
        });
  }

  /** Tuple data: each value is a String (text), null (NULL) or {@link #UNCHANGED}. */
  Messages tuple(Object... values) {
    i16(values.length);
    for (Object v : values) {
      if (v == null) {
        b('n');
      } else if (v == UNCHANGED) {
        b('u');
      } else {
        byte[] t = ((String) v).getBytes(StandardCharsets.UTF_8);
        b('t').i32(t.length);
        io(() -> out.write(t));
      }
    }
    return this;
  }

  static final Object UNCHANGED = new Object();

  ByteBuffer buffer() {
    return ByteBuffer.wrap(bytes.toByteArray());
  }

  PgOutputMessage decode() {
    return PgOutputDecoder.decode(buffer());
  }

  private interface IoAction {
    void run() throws IOException;
  }

  private Messages io(IoAction a) {
    try {
      a.run();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return this;
  }
}
