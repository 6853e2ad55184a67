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
