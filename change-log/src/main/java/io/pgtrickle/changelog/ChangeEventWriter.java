package io.pgtrickle.changelog;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Instant;
import java.util.Map;

/**
 * Writes change events as JSON (the format of {@link ChangeEventCodec}, byte for byte) one after
 * another into a stream, each flushed to the stream when {@link #write} returns and nothing between
 * them: a backend frames them itself (a COPY row, a line). One generator serves every event of a
 * publish, column values of the usual types are written without data binding, and a timestamp
 * shared by consecutive events (one transaction's) is formatted once: this is the hot loop of
 * publishing. Not thread-safe; one writer per publish.
 */
public final class ChangeEventWriter implements AutoCloseable {

  private final JsonGenerator gen;
  private Instant lastTimestamp;
  private String lastTimestampText;

  /**
   * A writer into {@code out}.
   *
   * @param out receives each event's UTF-8 JSON when {@link #write} returns
   */
  public ChangeEventWriter(OutputStream out) {
    try {
      gen = ChangeEventCodec.mapper().createGenerator(out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    // Consecutive root values get no separator: the caller frames each event.
    gen.setRootValueSeparator(null);
  }

  /**
   * Writes one event and flushes it into the stream.
   *
   * @param event the event
   * @throws MalformedEventException if a column value has a type JSON cannot carry (the writer is
   *     unusable afterwards)
   * @throws UncheckedIOException if the stream fails
   */
  public void write(ChangeEvent event) {
    try {
      gen.writeStartObject();
      gen.writeNumberField("source_oid", event.sourceOid());
      gen.writeStringField("lsn", event.lsn().walText());
      if (event.lsn().seq() != 0) {
        // Only when there is one, so events of one-change transactions look as before.
        gen.writeNumberField("seq", event.lsn().seq());
      }
      gen.writeNumberField("xid", event.xid());
      gen.writeStringField("action", event.action().name());
      gen.writeFieldName("columns");
      writeColumns(event.columns(), "columns");
      gen.writeFieldName("old_columns");
      writeColumns(event.oldColumns(), "old_columns");
      gen.writeStringField("timestamp", timestampText(event.timestamp()));
      gen.writeEndObject();
      gen.flush();
    } catch (JsonProcessingException e) {
      throw new MalformedEventException(
          "change event at lsn " + event.lsn() + " cannot be written as JSON: " + e.getMessage(),
          e);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private String timestampText(Instant timestamp) {
    if (!timestamp.equals(lastTimestamp)) {
      lastTimestamp = timestamp;
      lastTimestampText = timestamp.toString();
    }
    return lastTimestampText;
  }

  private void writeColumns(Map<String, Object> columns, String field) throws IOException {
    if (columns == null) {
      gen.writeNull();
      return;
    }
    gen.writeStartObject();
    for (Map.Entry<String, Object> column : columns.entrySet()) {
      if (column.getKey() == null) {
        throw new MalformedEventException(
            "change event field '" + field + "' has a column without a name");
      }
      gen.writeFieldName(column.getKey());
      writeValue(column.getValue(), field);
    }
    gen.writeEndObject();
  }

  /** The types the decoders produce are written directly; anything else as data binding does. */
  private void writeValue(Object value, String field) throws IOException {
    if (value == null) {
      gen.writeNull();
    } else if (value instanceof String s) {
      gen.writeString(s);
    } else if (value instanceof Long l) {
      gen.writeNumber(l);
    } else if (value instanceof Integer i) {
      gen.writeNumber(i);
    } else if (value instanceof BigDecimal d) {
      gen.writeNumber(d);
    } else if (value instanceof Boolean b) {
      gen.writeBoolean(b);
    } else if (value instanceof BigInteger b) {
      gen.writeNumber(b);
    } else {
      try {
        ChangeEventCodec.mapper().writeValue(gen, value);
      } catch (JsonProcessingException e) {
        throw new MalformedEventException(
            "change event field '" + field + "' has a value JSON cannot carry: " + e.getMessage(),
            e);
      }
    }
  }

  @Override
  public void close() {
    try {
      gen.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
