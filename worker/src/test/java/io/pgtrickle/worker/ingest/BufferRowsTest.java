package io.pgtrickle.worker.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.changelog.ChangeAction;
import io.pgtrickle.changelog.ChangeEvent;
import io.pgtrickle.changelog.Lsn;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class BufferRowsTest {

  private static final Instant TS = Instant.parse("2026-11-30T10:00:00.123456Z");

  private static String csv(ChangeEvent e, Set<String> bytea, Set<String> byteaArrays) {
    StringBuilder sb = new StringBuilder();
    BufferRows.appendCsv(sb, e, bytea, byteaArrays);
    return sb.toString();
  }

  @Test
  void insertWithExactNumbersAndQuotes() {
    Map<String, Object> row = new LinkedHashMap<>();
    row.put("id", 1L);
    row.put("amount", new BigDecimal("100.00"));
    row.put("big", new BigDecimal("1E+3"));
    row.put("note", "say \"hi\", ok\\");
    row.put("gone", null);
    ChangeEvent e = ChangeEvent.insert(16384, Lsn.of(0x1A3B4C0L, 2), 77, row, TS);
    assertThat(csv(e, Set.of(), Set.of()))
        .isEqualTo(
            "16384,0/1A3B4C0,2,77,I,\"{\"\"id\"\":1,\"\"amount\"\":100.00,\"\"big\"\":1000,"
                + "\"\"note\"\":\"\"say \\\"\"hi\\\"\", ok\\\\\"\",\"\"gone\"\":null}\",,"
                + "2026-11-30T10:00:00.123456Z\n");
  }

  @Test
  void updateOverlaysTheOldImageAndDeleteKeepsIt() {
    Map<String, Object> old = new LinkedHashMap<>();
    old.put("id", 1L);
    old.put("doc", "toasted");
    Map<String, Object> now = new LinkedHashMap<>();
    now.put("id", 1L);
    ChangeEvent u = new ChangeEvent(5, Lsn.parse("0/10"), 9, ChangeAction.UPDATE, now, old, TS);
    assertThat(csv(u, Set.of(), Set.of()))
        .startsWith("5,0/10,0,9,U,\"{\"\"id\"\":1,\"\"doc\"\":\"\"toasted\"\"}\",\"{");
    ChangeEvent d = new ChangeEvent(5, Lsn.parse("0/11"), 9, ChangeAction.DELETE, null, old, TS);
    assertThat(csv(d, Set.of(), Set.of())).startsWith("5,0/11,0,9,D,,\"{\"\"id\"\":1,");
    ChangeEvent t = new ChangeEvent(5, Lsn.parse("0/12"), 9, ChangeAction.TRUNCATE, null, null, TS);
    assertThat(csv(t, Set.of(), Set.of())).isEqualTo("5,0/12,0,9,T,,," + TS + "\n");
  }

  @Test
  void keyOnlyOldImagesAreMarkedNewImagesAreNot() {
    Map<String, Object> key = Map.of("id", 1L);
    Map<String, Object> now = new LinkedHashMap<>();
    now.put("id", 1L);
    now.put("v", 101L);
    ChangeEvent u =
        new ChangeEvent(5, Lsn.parse("0/10"), 9, ChangeAction.UPDATE, now, key, TS, false, true);
    assertThat(csv(u, Set.of(), Set.of()))
        .startsWith(
            "5,0/10,0,9,U,\"{\"\"id\"\":1,\"\"v\"\":101}\","
                + "\"{\"\"id\"\":1,\"\"__pgt_key_only\"\":true}\",");
    ChangeEvent d =
        new ChangeEvent(5, Lsn.parse("0/11"), 9, ChangeAction.DELETE, null, key, TS, true, true);
    assertThat(csv(d, Set.of(), Set.of()))
        .startsWith(
            "5,0/11,0,9,D,,\"{\"\"id\"\":1,\"\"__pgt_key_only\"\":true,"
                + "\"\"__pgt_json_text\"\":true}\",");
    ChangeEvent whole =
        new ChangeEvent(5, Lsn.parse("0/12"), 9, ChangeAction.DELETE, null, now, TS);
    assertThat(csv(whole, Set.of(), Set.of())).doesNotContain(BufferRows.KEY_ONLY_MARKER);
  }

  @Test
  void jsonTextEventsGiveMarkedImages() {
    Map<String, Object> old = new LinkedHashMap<>();
    old.put("id", 1L);
    old.put("j", "null");
    Map<String, Object> now = new LinkedHashMap<>();
    now.put("j", null);
    ChangeEvent u =
        new ChangeEvent(5, Lsn.parse("0/10"), 9, ChangeAction.UPDATE, now, old, TS, true);
    assertThat(csv(u, Set.of(), Set.of()))
        .startsWith(
            "5,0/10,0,9,U,\"{\"\"id\"\":1,\"\"j\"\":null,\"\"__pgt_json_text\"\":true}\","
                + "\"{\"\"id\"\":1,\"\"j\"\":\"\"null\"\",\"\"__pgt_json_text\"\":true}\",");
    ChangeEvent empty =
        new ChangeEvent(5, Lsn.parse("0/11"), 9, ChangeAction.DELETE, null, Map.of(), TS, true);
    assertThat(csv(empty, Set.of(), Set.of()))
        .startsWith("5,0/11,0,9,D,,\"{\"\"__pgt_json_text\"\":true}\",");
    ChangeEvent unmarked =
        new ChangeEvent(5, Lsn.parse("0/12"), 9, ChangeAction.UPDATE, now, old, TS);
    assertThat(csv(unmarked, Set.of(), Set.of())).doesNotContain("__pgt_json_text");
  }

  @Test
  void byteaBecomesHexText() {
    Map<String, Object> row = new LinkedHashMap<>();
    row.put("b", "3q2+7w=="); // DE AD BE EF
    row.put("bs", List.of("AAE=", List.of("/w==")));
    row.put("t", "3q2+7w==");
    ChangeEvent e = ChangeEvent.insert(5, Lsn.parse("0/10"), 9, row, TS);
    assertThat(csv(e, Set.of("b"), Set.of("bs")))
        .contains("\"\"b\"\":\"\"\\\\xdeadbeef\"\"")
        .contains("\"\"bs\"\":[\"\"\\\\x0001\"\",[\"\"\\\\xff\"\"]]")
        .contains("\"\"t\"\":\"\"3q2+7w==\"\"");
  }
}
