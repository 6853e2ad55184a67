package io.pgtrickle.changelog;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.Map;

/**
 * Reads and writes {@link ChangeEvent}s in the shared JSON format, keeping every number exact.
 *
 * <p>Why streaming instead of data binding for the envelope: the tree model's default node factory
 * normalises decimals ({@code 100.00} becomes {@code 1E+2}), and data binding of a record would
 * hide which field was wrong. Column maps are read with {@code USE_BIG_DECIMAL_FOR_FLOATS}, which
 * keeps a {@code numeric}'s digits and scale, and integers are widened to {@code long} (or kept as
 * {@code BigInteger} past 64 bits). Unknown envelope fields are ignored so that newer writers stay
 * readable.
 */
public final class ChangeEventCodec {

  // PostgreSQL's numeric allows 131072 digits before the point and 16383 after it, far past
  // Jackson's default limit of 1000; text values may be large too.
  private static final StreamReadConstraints CONSTRAINTS =
      StreamReadConstraints.builder()
          .maxNumberLength(160_000)
          .maxStringLength(Integer.MAX_VALUE)
          .maxNestingDepth(2_000)
          .build();

  private static final ObjectMapper MAPPER =
      JsonMapper.builder(JsonFactory.builder().streamReadConstraints(CONSTRAINTS).build())
          .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
          .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
          .enable(JsonGenerator.Feature.WRITE_BIGDECIMAL_AS_PLAIN)
          .build();

  private static final TypeReference<Map<String, Object>> COLUMNS = new TypeReference<>() {};

  /** One writer (and its buffer) per thread for {@link #encode}, which backends call per event. */
  private static final ThreadLocal<ChangeEventWriter> ENCODER =
      ThreadLocal.withInitial(ChangeEventWriter::new);

  private ChangeEventCodec() {}

  /**
   * Writes an event as UTF-8 JSON.
   *
   * @param event the event
   * @return the JSON bytes
   * @throws MalformedEventException if a column value has a type JSON cannot carry
   */
  public static byte[] encode(ChangeEvent event) {
    return ENCODER.get().toBytes(event);
  }

  /** The configured mapper, for {@link ChangeEventWriter}. */
  static ObjectMapper mapper() {
    return MAPPER;
  }

  /**
   * Writes an event as a JSON string.
   *
   * @param event the event
   * @return the JSON text
   */
  public static String toJson(ChangeEvent event) {
    return new String(encode(event), StandardCharsets.UTF_8);
  }

  /**
   * Reads an event from JSON text.
   *
   * @param json the JSON text
   * @return the event
   * @throws MalformedEventException if the text is not a valid change event
   */
  public static ChangeEvent fromJson(String json) {
    return decode(json.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Reads an event from UTF-8 JSON bytes.
   *
   * @param json the JSON bytes
   * @return the event
   * @throws MalformedEventException if the bytes are not a valid change event, naming the field
   */
  public static ChangeEvent decode(byte[] json) {
    return decode(json, 0, json.length);
  }

  /**
   * Reads an event from a slice of UTF-8 JSON bytes, e.g. one line of a frame of several events.
   *
   * @param json the bytes
   * @param offset where the event starts
   * @param length how many bytes it has
   * @return the event
   * @throws MalformedEventException if the bytes are not a valid change event, naming the field
   */
  public static ChangeEvent decode(byte[] json, int offset, int length) {
    try (JsonParser p = MAPPER.createParser(json, offset, length)) {
      return readEvent(p);
    } catch (MalformedEventException e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      throw new MalformedEventException("change event is not valid JSON: " + e.getMessage(), e);
    }
  }

  private static ChangeEvent readEvent(JsonParser p) throws IOException {
    if (p.nextToken() != JsonToken.START_OBJECT) {
      throw new MalformedEventException("change event must be a JSON object");
    }
    Long sourceOid = null;
    Lsn lsn = null;
    long seq = 0;
    Long xid = null;
    ChangeAction action = null;
    Map<String, Object> columns = null;
    Map<String, Object> oldColumns = null;
    Instant timestamp = null;
    boolean jsonText = false;
    boolean oldKeyOnly = false;
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String field = p.currentName();
      JsonToken value = p.nextToken();
      switch (field) {
        case "source_oid" -> sourceOid = readLong(p, value, field);
        case "lsn" -> lsn = readLsn(readText(p, value, field));
        case "seq" -> seq = readLong(p, value, field);
        case "xid" -> xid = readLong(p, value, field);
        case "action" -> action = readAction(readText(p, value, field));
        case "columns" -> columns = readColumns(p, value, field);
        case "old_columns" -> oldColumns = readColumns(p, value, field);
        case "timestamp" -> timestamp = readTimestamp(readText(p, value, field));
        case "json_text" -> jsonText = readBoolean(p, value, field);
        case "old_key_only" -> oldKeyOnly = readBoolean(p, value, field);
        default -> p.skipChildren();
      }
    }
    if (p.nextToken() != null) {
      throw new MalformedEventException("change event has trailing content after the object");
    }
    if (sourceOid == null) {
      throw new MalformedEventException("change event field 'source_oid' is missing");
    }
    if (xid == null) {
      throw new MalformedEventException("change event field 'xid' is missing");
    }
    if (seq < 0 || seq > Integer.MAX_VALUE) {
      throw new MalformedEventException("change event field 'seq' is out of range: " + seq);
    }
    if (seq != 0 && lsn != null) {
      lsn = Lsn.of(lsn.value(), (int) seq);
    }
    return new ChangeEvent(
        sourceOid, lsn, xid, action, columns, oldColumns, timestamp, jsonText, oldKeyOnly);
  }

  private static boolean readBoolean(JsonParser p, JsonToken token, String field)
      throws IOException {
    if (token != JsonToken.VALUE_TRUE && token != JsonToken.VALUE_FALSE) {
      throw new MalformedEventException(
          "change event field '" + field + "' must be a boolean, got " + p.getText());
    }
    return token == JsonToken.VALUE_TRUE;
  }

  private static long readLong(JsonParser p, JsonToken token, String field) throws IOException {
    if (token != JsonToken.VALUE_NUMBER_INT
        || p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
      throw new MalformedEventException(
          "change event field '" + field + "' must be an integer, got " + p.getText());
    }
    return p.getLongValue();
  }

  private static String readText(JsonParser p, JsonToken token, String field) throws IOException {
    if (token == JsonToken.VALUE_NULL) {
      return null;
    }
    if (token != JsonToken.VALUE_STRING) {
      throw new MalformedEventException(
          "change event field '" + field + "' must be a string, got " + p.getText());
    }
    return p.getText();
  }

  private static Lsn readLsn(String text) {
    if (text == null) {
      return null;
    }
    try {
      return Lsn.parse(text);
    } catch (IllegalArgumentException e) {
      throw new MalformedEventException("change event field 'lsn': " + e.getMessage(), e);
    }
  }

  private static ChangeAction readAction(String text) {
    if (text == null) {
      return null;
    }
    try {
      return ChangeAction.valueOf(text);
    } catch (IllegalArgumentException e) {
      throw new MalformedEventException(
          "change event field 'action' must be INSERT, UPDATE, DELETE, TRUNCATE or GAP, got '"
              + text
              + "'",
          e);
    }
  }

  private static Instant readTimestamp(String text) {
    if (text == null) {
      return null;
    }
    try {
      return Instant.from(DateTimeFormatter.ISO_OFFSET_DATE_TIME.parse(text));
    } catch (DateTimeException e) {
      throw new MalformedEventException(
          "change event field 'timestamp' must be an ISO-8601 time with offset, got '" + text + "'",
          e);
    }
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> readColumns(JsonParser p, JsonToken token, String field)
      throws IOException {
    if (token == JsonToken.VALUE_NULL) {
      return null;
    }
    if (token != JsonToken.START_OBJECT) {
      throw new MalformedEventException(
          "change event field '" + field + "' must be an object or null, got " + p.getText());
    }
    return (Map<String, Object>) widenInts(MAPPER.readValue(p, COLUMNS));
  }

  /**
   * Jackson reads small JSON integers as {@link Integer}; a {@code bigint} column must read back
   * the same whatever its value, so every integer that fits becomes a {@link Long} (larger ones
   * stay {@link java.math.BigInteger}). USE_LONG_FOR_INTS would do it, but it also refuses integers
   * beyond 64 bits.
   */
  private static Object widenInts(Object value) {
    if (value instanceof Integer i) {
      return i.longValue();
    }
    if (value instanceof Map<?, ?> map) {
      Map<String, Object> out = new java.util.LinkedHashMap<>();
      map.forEach((k, v) -> out.put((String) k, widenInts(v)));
      return out;
    }
    if (value instanceof java.util.List<?> list) {
      java.util.List<Object> out = new java.util.ArrayList<>(list.size());
      list.forEach(v -> out.add(widenInts(v)));
      return out;
    }
    return value;
  }
}
