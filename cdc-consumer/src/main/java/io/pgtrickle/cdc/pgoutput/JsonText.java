package io.pgtrickle.cdc.pgoutput;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import java.io.IOException;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Parses json and jsonb text into the value model of change events: objects become {@link Map} in
 * key order, arrays {@link List}, integers {@link Long} (or {@link BigInteger} past 64 bits),
 * fractions {@link java.math.BigDecimal} with their digits, so nothing is rounded through a double.
 */
final class JsonText {

  private static final JsonFactory FACTORY =
      JsonFactory.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

  private JsonText() {}

  static Object parse(String text) {
    try (JsonParser p = FACTORY.createParser(text)) {
      Object value = read(p, p.nextToken());
      if (p.nextToken() != null) {
        throw new PgOutputException("trailing content after JSON value");
      }
      return value;
    } catch (IOException e) {
      throw new PgOutputException("json value does not parse: " + e.getMessage(), e);
    }
  }

  private static Object read(JsonParser p, JsonToken token) throws IOException {
    if (token == null) {
      throw new PgOutputException("empty json value");
    }
    return switch (token) {
      case START_OBJECT -> {
        // json (not jsonb) keeps duplicate keys; the last one wins, as in jsonb.
        Map<String, Object> map = new LinkedHashMap<>();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
          String key = p.currentName();
          map.put(key, read(p, p.nextToken()));
        }
        yield map;
      }
      case START_ARRAY -> {
        List<Object> list = new ArrayList<>();
        JsonToken next;
        while ((next = p.nextToken()) != JsonToken.END_ARRAY) {
          list.add(read(p, next));
        }
        yield list;
      }
      case VALUE_STRING -> p.getText();
      case VALUE_NUMBER_INT ->
          p.getNumberType() == JsonParser.NumberType.BIG_INTEGER
              ? p.getBigIntegerValue()
              : (Object) p.getLongValue();
      case VALUE_NUMBER_FLOAT -> p.getDecimalValue();
      case VALUE_TRUE -> Boolean.TRUE;
      case VALUE_FALSE -> Boolean.FALSE;
      case VALUE_NULL -> null;
      default -> throw new PgOutputException("unexpected json token " + token);
    };
  }
}
