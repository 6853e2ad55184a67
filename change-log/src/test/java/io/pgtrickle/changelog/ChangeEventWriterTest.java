package io.pgtrickle.changelog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ChangeEventWriterTest {

  private static final ObjectMapper DATA_BINDING = ChangeEventCodec.mapper();

  private static Map<String, Object> columns(int i) {
    Map<String, Object> c = new LinkedHashMap<>();
    c.put("id", (long) i);
    c.put("small", i);
    c.put("amount", new BigDecimal("100.00"));
    c.put("tiny", new BigDecimal("1E-20"));
    c.put("huge", new BigInteger("123456789012345678901234567890"));
    c.put("flag", i % 2 == 0);
    c.put("name", "Ålice \"quoted\" \\ back\nslash\ttab \u0001 ☃ 😀");
    c.put("nothing", null);
    c.put("doc", Map.of("a", List.of(1L, "two", Map.of("b", true))));
    c.put("ratio", 0.5d);
    return c;
  }

  @Test
  void writesEventsBackToBackExactlyAsDataBindingWouldEachOne() throws Exception {
    List<ChangeEvent> events = new ArrayList<>();
    Instant shared = Instant.parse("2026-05-30T12:00:00.123456Z");
    for (int i = 1; i <= 5; i++) {
      events.add(
          new ChangeEvent(
              16384,
              Lsn.of(0x1A3B4C0L, i - 1),
              7,
              ChangeAction.UPDATE,
              columns(i),
              columns(-i),
              i < 4 ? shared : Instant.parse("2026-05-30T12:00:01Z")));
    }
    events.add(ChangeEvent.gap(16384, Lsn.of(0x1A3B4D0L), 0, shared));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    StringBuilder expected = new StringBuilder();
    try (ChangeEventWriter writer = new ChangeEventWriter(out)) {
      for (ChangeEvent e : events) {
        int before = out.size();
        writer.write(e);
        // Flushed into the stream when write returns, with nothing between events.
        String one =
            new String(out.toByteArray(), before, out.size() - before, StandardCharsets.UTF_8);
        assertThat(ChangeEventCodec.toJson(ChangeEventCodec.fromJson(one))).isEqualTo(one);
        expected.append(reference(e));
      }
    }
    assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo(expected.toString());
  }

  /** The event as the codec wrote it before the writer: columns through data binding. */
  private static String reference(ChangeEvent e) throws Exception {
    Map<String, Object> envelope = new LinkedHashMap<>();
    envelope.put("source_oid", e.sourceOid());
    envelope.put("lsn", e.lsn().walText());
    if (e.lsn().seq() != 0) {
      envelope.put("seq", e.lsn().seq());
    }
    envelope.put("xid", e.xid());
    envelope.put("action", e.action().name());
    envelope.put("columns", e.columns());
    envelope.put("old_columns", e.oldColumns());
    envelope.put("timestamp", e.timestamp().toString());
    // Bytes, as the codec always wrote (a UTF-8 generator escapes surrogate pairs).
    return new String(DATA_BINDING.writeValueAsBytes(envelope), StandardCharsets.UTF_8);
  }

  /** One INSERT whose only column is {@code name: value}, as the writer writes it. */
  private static String written(String name, Object value) {
    Map<String, Object> c = new LinkedHashMap<>();
    c.put(name, value);
    return new String(
        ChangeEventCodec.encode(
            ChangeEvent.insert(1, Lsn.of(1), 1, c, Instant.parse("2026-05-30T12:00:00Z"))),
        StandardCharsets.UTF_8);
  }

  private static String wrapped(String columnJson) {
    return "{\"source_oid\":1,\"lsn\":\"0/1\",\"xid\":1,\"action\":\"INSERT\",\"columns\":{"
        + columnJson
        + "},\"old_columns\":null,\"timestamp\":\"2026-05-30T12:00:00Z\"}";
  }

  @Test
  void pinsTheBytesOfStringsThatNeedEscapingOrEncoding() {
    String pad = "p".repeat(JsonText.BULK); // the same again on the bulk path
    Map<String, String> cases = new LinkedHashMap<>();
    cases.put("plain /?~ and DEL \u007F", "plain /?~ and DEL \u007F");
    cases.put("quote \" backslash \\", "quote \\\" backslash \\\\");
    cases.put("\b\f\n\r\t", "\\b\\f\\n\\r\\t");
    cases.put("nul \u0000 us \u001F", "nul \\u0000 us \\u001F");
    cases.put("é ☃ Ā", "é ☃ Ā"); // UTF-8: C3 A9, E2 98 83, C4 80
    cases.put("pair 😀", "pair \\uD83D\\uDE00"); // Jackson escapes surrogates
    cases.put("lone \uD800 \uDC00", "lone \\uD800 \\uDC00");
    // Characters whose low byte is a quote, a backslash or a letter: never truncated to it.
    cases.put("\u0122\u015C\u0141", "\u0122\u015C\u0141");
    cases.forEach(
        (text, json) -> {
          for (String s : List.of(text, pad + text, text + pad)) {
            String escaped = s.startsWith(pad) ? pad + json : s.endsWith(pad) ? json + pad : json;
            assertThat(written("c", s)).as(s).isEqualTo(wrapped("\"c\":\"" + escaped + "\""));
            assertThat(written(s, 1L)).as(s).isEqualTo(wrapped("\"" + escaped + "\":1"));
          }
        });
    assertThat(written("c", "é").getBytes(StandardCharsets.UTF_8))
        .containsSubsequence((byte) '"', (byte) 0xC3, (byte) 0xA9, (byte) '"');
  }

  @Test
  void everyStringIsWrittenAsJacksonWritesIt() throws Exception {
    // Around the bulk path's length and its 32-byte blocks, each tricky character at every place.
    char[] tricky = {
      'a', '?', '"', '\\', '/', '\u0000', '\n', '\u001F', ' ', '\u007F', '\u0080', 'é', '\u00FF',
      '\u0100', '\u0122', '\u015C', '\u013F', '☃', '\uD83D', '\uDE00', '\uFFFF', '\u0085', '\u07FF',
      '\u0800', '\u2028', '\u2029', '\uD7FF', '\uE000', '\uFEFF', 'ж'
    };
    Random random = new Random(7);
    List<String> strings = new ArrayList<>();
    for (int n = 0; n <= 66; n++) {
      for (char c : tricky) {
        for (int at = 0; at < n; at++) {
          char[] s = "x".repeat(n).toCharArray();
          s[at] = c;
          strings.add(new String(s));
        }
      }
    }
    // A surrogate pair (a 4-byte UTF-8 sequence, which Jackson escapes) at every place.
    for (int n = 2; n <= 66; n++) {
      for (int at = 0; at + 1 < n; at++) {
        char[] s = "x".repeat(n).toCharArray();
        s[at] = '\uD83D';
        s[at + 1] = '\uDE00';
        strings.add(new String(s));
      }
    }
    // Every character up to U+047F and a few beyond, short and on the bulk path.
    for (char c = 0; c < 0x480; c++) {
      for (int n : new int[] {1, 9, 31, 32, 33, 40, 63, 64, 65}) {
        for (int at : new int[] {0, n / 2, n - 1}) {
          char[] s = "y".repeat(n).toCharArray();
          s[at] = c;
          strings.add(new String(s));
        }
      }
    }
    for (int i = 0; i < 20_000; i++) {
      char[] s = new char[random.nextInt(90)];
      for (int j = 0; j < s.length; j++) {
        s[j] = random.nextInt(4) == 0 ? tricky[random.nextInt(tricky.length)] : 'q';
      }
      strings.add(new String(s));
      // The same after a plain prefix: checked on the bulk path, not sent to Jackson at once.
      strings.add("p".repeat(JsonText.BULK) + new String(s));
    }
    for (String s : strings) {
      String expected = new String(DATA_BINDING.writeValueAsBytes(s), StandardCharsets.UTF_8);
      assertThat(written("c", s)).as(s).isEqualTo(wrapped("\"c\":" + expected));
      assertThat(written(s, null)).as(s).isEqualTo(wrapped(expected + ":null"));
    }
  }

  @Test
  void numbersAreWrittenAsJacksonWritesThem() throws Exception {
    Random random = new Random(11);
    List<Object> values =
        new ArrayList<>(
            List.of(
                0L,
                -1L,
                9L,
                10L,
                Long.MAX_VALUE,
                Long.MIN_VALUE,
                Long.MIN_VALUE + 1,
                0,
                Integer.MIN_VALUE,
                Integer.MAX_VALUE,
                new BigDecimal("0.00"),
                new BigDecimal("-1E+5"),
                new BigDecimal("1E-9999"),
                new BigDecimal("1E+9999"),
                new BigInteger("-123456789012345678901234567890"),
                true,
                false,
                1.5d,
                (short) 3));
    for (int i = 0; i < 10_000; i++) {
      values.add(random.nextLong() >> random.nextInt(64));
      values.add(BigDecimal.valueOf(random.nextLong(), random.nextInt(40) - 20));
    }
    for (Object v : values) {
      String expected = new String(DATA_BINDING.writeValueAsBytes(v), StandardCharsets.UTF_8);
      assertThat(written("c", v)).as(String.valueOf(v)).isEqualTo(wrapped("\"c\":" + expected));
    }
  }

  @Test
  void aDecimalJacksonRefusesToWritePlainIsMalformedAndTheWriterGoesOn() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ChangeEventWriter writer = new ChangeEventWriter(out);
    ChangeEvent bad =
        ChangeEvent.insert(1, Lsn.of(1), 1, Map.of("d", new BigDecimal("1E-10000")), Instant.EPOCH);
    assertThatThrownBy(() -> writer.write(bad))
        .isInstanceOf(MalformedEventException.class)
        .hasMessageContaining("illegal scale");
    assertThat(out.size()).isZero(); // nothing of the failed event
    ChangeEvent good = ChangeEvent.insert(1, Lsn.of(2), 1, Map.of("s", "é\""), Instant.EPOCH);
    writer.write(good);
    assertThat(out.toByteArray()).isEqualTo(ChangeEventCodec.encode(good));
    assertThat(ChangeEventCodec.decode(out.toByteArray())).isEqualTo(good);
  }

  @Test
  void aColumnWithoutANameIsMalformed() {
    Map<String, Object> c = new HashMap<>();
    c.put(null, 1L);
    ChangeEvent e = new ChangeEvent(1, Lsn.of(1), 1, ChangeAction.INSERT, c, null, Instant.EPOCH);
    assertThatThrownBy(() -> ChangeEventCodec.encode(e))
        .isInstanceOf(MalformedEventException.class)
        .hasMessageContaining("columns");
  }

  @Test
  void walTextIsUpperCaseHexWithoutLeadingZeros() {
    Random random = new Random(42);
    List<Long> values =
        new ArrayList<>(List.of(0L, 1L, 0xFFFFFFFFL, 0x100000000L, -1L, 0x16B374D848L));
    for (int i = 0; i < 10_000; i++) {
      values.add(random.nextLong() >>> random.nextInt(64));
    }
    for (long v : values) {
      String old =
          Long.toHexString(v >>> 32).toUpperCase()
              + "/"
              + Long.toHexString(v & 0xFFFFFFFFL).toUpperCase();
      assertThat(Lsn.of(v).walText()).as(Long.toHexString(v)).isEqualTo(old);
    }
  }
}
