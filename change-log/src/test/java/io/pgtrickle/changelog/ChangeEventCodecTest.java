package io.pgtrickle.changelog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgtrickle.changelog.support.TestEvents;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ChangeEventCodecTest {

  private static final String SEED_EXAMPLE =
      "{\"source_oid\": 16384, \"lsn\": \"0/1A3B4C0\", \"xid\": 12345, \"action\": \"INSERT\","
          + " \"columns\": {\"id\": 1, \"name\": \"Alice\", \"amount\": 100.00},"
          + " \"old_columns\": null, \"timestamp\": \"2026-05-30T12:00:00Z\"}";

  @Test
  void readsTheSeedExampleWithExactNumbers() {
    ChangeEvent e = ChangeEventCodec.fromJson(SEED_EXAMPLE);
    assertThat(e.sourceOid()).isEqualTo(16384);
    assertThat(e.lsn()).hasToString("0/1A3B4C0");
    assertThat(e.xid()).isEqualTo(12345);
    assertThat(e.action()).isEqualTo(ChangeAction.INSERT);
    assertThat(e.columns().get("id")).isEqualTo(1L);
    assertThat(e.columns().get("name")).isEqualTo("Alice");
    assertThat(e.columns().get("amount")).isEqualTo(new BigDecimal("100.00"));
    assertThat(e.oldColumns()).isNull();
    assertThat(e.timestamp()).isEqualTo(Instant.parse("2026-05-30T12:00:00Z"));
  }

  @Test
  void writesTheSeedFormat() {
    String json = ChangeEventCodec.toJson(ChangeEventCodec.fromJson(SEED_EXAMPLE));
    assertThat(json)
        .isEqualTo(
            "{\"source_oid\":16384,\"lsn\":\"0/1A3B4C0\",\"xid\":12345,\"action\":\"INSERT\","
                + "\"columns\":{\"id\":1,\"name\":\"Alice\",\"amount\":100.00},"
                + "\"old_columns\":null,\"timestamp\":\"2026-05-30T12:00:00Z\"}");
  }

  @Test
  void jsonTextIsWrittenOnlyWhenSetAndReadBack() {
    ChangeEvent old = ChangeEventCodec.fromJson(SEED_EXAMPLE);
    assertThat(old.jsonText()).as("absent: the old encoding").isFalse();
    assertThat(ChangeEventCodec.toJson(old)).doesNotContain("json_text");
    Map<String, Object> columns = new LinkedHashMap<>();
    columns.put("id", 1L);
    columns.put("j", "null");
    columns.put("s", null);
    ChangeEvent e =
        new ChangeEvent(
            16384,
            Lsn.parse("0/1A3B4C0"),
            7,
            ChangeAction.INSERT,
            columns,
            null,
            Instant.parse("2026-05-30T12:00:00Z"),
            true);
    String json = ChangeEventCodec.toJson(e);
    assertThat(json).endsWith(",\"json_text\":true}");
    ChangeEvent back = ChangeEventCodec.fromJson(json);
    assertThat(back).isEqualTo(e);
    assertThat(back.columns()).containsEntry("j", "null").containsEntry("s", null);
    assertThatThrownBy(
            () ->
                ChangeEventCodec.fromJson(
                    SEED_EXAMPLE.substring(0, SEED_EXAMPLE.length() - 1) + ", \"json_text\": 1}"))
        .isInstanceOf(MalformedEventException.class)
        .hasMessageContaining("json_text");
  }

  @Test
  void oldKeyOnlyIsWrittenOnlyWhenSetReadBackAndOnlyForUpdateOrDelete() {
    ChangeEvent old = ChangeEventCodec.fromJson(SEED_EXAMPLE);
    assertThat(old.oldKeyOnly()).as("absent: the old encoding").isFalse();
    assertThat(ChangeEventCodec.toJson(old)).doesNotContain("old_key_only");
    Instant at = Instant.parse("2026-05-30T12:00:00Z");
    ChangeEvent delete =
        new ChangeEvent(
            16384,
            Lsn.parse("0/1A3B4C0"),
            7,
            ChangeAction.DELETE,
            null,
            Map.of("id", 30L),
            at,
            true,
            true);
    String json = ChangeEventCodec.toJson(delete);
    assertThat(json).endsWith(",\"json_text\":true,\"old_key_only\":true}");
    assertThat(ChangeEventCodec.fromJson(json)).isEqualTo(delete);
    assertThat(delete.toString()).contains("old_key_only=true");
    assertThatThrownBy(
            () ->
                new ChangeEvent(
                    1,
                    Lsn.parse("0/1"),
                    1,
                    ChangeAction.INSERT,
                    Map.of("id", 1L),
                    null,
                    at,
                    false,
                    true))
        .isInstanceOf(MalformedEventException.class)
        .hasMessageContaining("old_key_only");
    assertThatThrownBy(
            () ->
                ChangeEventCodec.fromJson(
                    SEED_EXAMPLE.substring(0, SEED_EXAMPLE.length() - 1)
                        + ", \"old_key_only\": \"yes\"}"))
        .isInstanceOf(MalformedEventException.class)
        .hasMessageContaining("old_key_only");
  }

  @Test
  void roundTripsEveryValueKindWithFullPrecision() {
    Map<String, Object> columns = new LinkedHashMap<>();
    columns.put("numeric", new BigDecimal("-0.000000000000000000000000000000000001"));
    columns.put("scaled", new BigDecimal("1.10"));
    columns.put("wide", new BigDecimal("9".repeat(1000) + "." + "1".repeat(500)));
    columns.put("bigint_max", Long.MAX_VALUE);
    columns.put("bigint_min", Long.MIN_VALUE);
    columns.put("small", 7L);
    columns.put("beyond_64_bits", new BigInteger("18446744073709551616"));
    columns.put("text", "tab\t newline\n quote\" emoji 🐘 nul\u0000");
    columns.put("yes", true);
    columns.put("no", false);
    columns.put("sql_null", null);
    columns.put("jsonb", Map.of("a", List.of(1L, new BigDecimal("2.0"), Map.of("b", "c"))));
    columns.put("empty", Map.of());
    Map<String, Object> old = Map.of("id", 3L);
    ChangeEvent e =
        new ChangeEvent(
            ChangeEvent.MAX_OID,
            Lsn.parse("FFFFFFFF/FFFFFFFE"),
            4_294_967_295L,
            ChangeAction.UPDATE,
            columns,
            old,
            Instant.parse("2026-05-30T12:00:00.123456789Z"));
    ChangeEvent back = ChangeEventCodec.decode(ChangeEventCodec.encode(e));
    assertThat(back).isEqualTo(e);
    assertThat(back.columns().get("scaled")).isEqualTo(new BigDecimal("1.10"));
    assertThat(back.columns().get("small")).isInstanceOf(Long.class);
  }

  @Test
  void roundTripsTheTestEvents() {
    ChangeEvent e = TestEvents.event(1, 42);
    assertThat(ChangeEventCodec.fromJson(ChangeEventCodec.toJson(e))).isEqualTo(e);
  }

  @Test
  void acceptsOffsetsAndIgnoresUnknownFields() {
    ChangeEvent e =
        ChangeEventCodec.fromJson(
            "{\"source_oid\":1,\"lsn\":\"0/1\",\"xid\":1,\"action\":\"TRUNCATE\",\"future\":[1,{}],"
                + "\"timestamp\":\"2026-05-30T14:00:00+02:00\"}");
    assertThat(e.timestamp()).isEqualTo(Instant.parse("2026-05-30T12:00:00Z"));
    assertThat(e.columns()).isNull();
  }

  @Test
  void aGapMarkerRoundTripsWithoutColumns() {
    ChangeEvent gap = ChangeEvent.gap(16384, Lsn.parse("0/1A3B4C0.1"), 0, Instant.EPOCH);
    String json = ChangeEventCodec.toJson(gap);
    assertThat(json).contains("\"action\":\"GAP\"");
    assertThat(ChangeEventCodec.fromJson(json)).isEqualTo(gap);
    assertThat(gap.action()).isEqualTo(ChangeAction.GAP);
    assertThatThrownBy(
            () ->
                new ChangeEvent(
                    1, Lsn.of(1), 0, ChangeAction.GAP, Map.of("id", 1L), null, Instant.EPOCH))
        .isInstanceOf(MalformedEventException.class)
        .hasMessageContaining("a GAP change event needs no 'columns' or 'old_columns'");
  }

  @Test
  void writesTheSubPositionAsSeqBesideTheCommitLsn() {
    ChangeEvent e =
        ChangeEvent.insert(7, Lsn.parse("0/1A3B4C0.2"), 9, Map.of("id", 1L), Instant.EPOCH);
    String json = ChangeEventCodec.toJson(e);
    assertThat(json).contains("\"lsn\":\"0/1A3B4C0\",\"seq\":2,");
    assertThat(ChangeEventCodec.fromJson(json).lsn()).isEqualTo(Lsn.parse("0/1A3B4C0.2"));
    assertThatThrownBy(() -> ChangeEventCodec.fromJson(json.replace("\"seq\":2", "\"seq\":-2")))
        .isInstanceOf(MalformedEventException.class)
        .hasMessageContaining("'seq'");
  }

  @Test
  void malformedEventsFailNamingTheField() {
    String ok = "\"xid\":1,\"timestamp\":\"2026-05-30T12:00:00Z\"";
    Map<String, String> cases = new LinkedHashMap<>();
    cases.put("not json", "not valid JSON");
    cases.put("[1]", "must be a JSON object");
    cases.put("{\"lsn\":\"0/1\",\"action\":\"INSERT\",\"columns\":{}," + ok + "}", "'source_oid'");
    cases.put(
        "{\"source_oid\":-1,\"lsn\":\"0/1\",\"action\":\"TRUNCATE\"," + ok + "}", "not an OID");
    cases.put(
        "{\"source_oid\":4294967296,\"lsn\":\"0/1\",\"action\":\"TRUNCATE\"," + ok + "}",
        "not an OID");
    cases.put(
        "{\"source_oid\":\"1\",\"lsn\":\"0/1\",\"action\":\"TRUNCATE\"," + ok + "}",
        "'source_oid' must be an integer");
    cases.put("{\"source_oid\":1,\"lsn\":\"12\",\"action\":\"TRUNCATE\"," + ok + "}", "'lsn'");
    cases.put("{\"source_oid\":1,\"action\":\"TRUNCATE\"," + ok + "}", "'lsn' is missing");
    cases.put(
        "{\"source_oid\":1,\"lsn\":\"0/1\",\"action\":\"UPSERT\"," + ok + "}",
        "'action' must be INSERT, UPDATE, DELETE, TRUNCATE or GAP");
    cases.put(
        "{\"source_oid\":1,\"lsn\":\"0/1\",\"action\":\"INSERT\"," + ok + "}", "needs 'columns'");
    cases.put(
        "{\"source_oid\":1,\"lsn\":\"0/1\",\"action\":\"DELETE\",\"columns\":null," + ok + "}",
        "'old_columns'");
    cases.put(
        "{\"source_oid\":1,\"lsn\":\"0/1\",\"action\":\"INSERT\",\"columns\":[1]," + ok + "}",
        "'columns' must be an object");
    cases.put(
        "{\"source_oid\":1,\"lsn\":\"0/1\",\"action\":\"TRUNCATE\",\"xid\":1,\"timestamp\":\"yesterday\"}",
        "'timestamp'");
    cases.put(
        "{\"source_oid\":1,\"lsn\":\"0/1\",\"action\":\"TRUNCATE\",\"xid\":1}",
        "'timestamp' is missing");
    cases.put(
        "{\"source_oid\":1,\"lsn\":\"0/1\",\"action\":\"TRUNCATE\",\"timestamp\":\"2026-05-30T12:00:00Z\"}",
        "'xid' is missing");
    cases.put(
        "{\"source_oid\":1,\"lsn\":\"0/1\",\"action\":\"TRUNCATE\"," + ok + "} {}", "trailing");
    cases.put(
        "{\"source_oid\":1,\"source_oid\":2,\"lsn\":\"0/1\",\"action\":\"TRUNCATE\"," + ok + "}",
        "Duplicate field");
    cases.forEach(
        (json, message) ->
            assertThatThrownBy(() -> ChangeEventCodec.fromJson(json))
                .as(json)
                .isInstanceOf(MalformedEventException.class)
                .hasMessageContaining(message));
  }

  @Test
  void aColumnValueJsonCannotCarryIsRefused() {
    ChangeEvent e =
        ChangeEvent.insert(1, Lsn.of(1), 1, Map.of("thing", new Object()), Instant.EPOCH);
    assertThatThrownBy(() -> ChangeEventCodec.encode(e))
        .isInstanceOf(MalformedEventException.class)
        .hasMessageContaining("'columns'");
  }

  @Test
  void eventsAreImmutable() {
    Map<String, Object> columns = new LinkedHashMap<>(Map.of("a", 1L));
    ChangeEvent e = ChangeEvent.insert(1, Lsn.of(1), 1, columns, Instant.EPOCH);
    columns.put("b", 2L);
    assertThat(e.columns()).containsOnlyKeys("a");
    assertThatThrownBy(() -> e.columns().put("c", 3L))
        .isInstanceOf(UnsupportedOperationException.class);
  }
}
