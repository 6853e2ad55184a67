package io.pgtrickle.changelog.support;

import io.pgtrickle.changelog.ChangeAction;
import io.pgtrickle.changelog.ChangeEvent;
import io.pgtrickle.changelog.ChangeLogBackend;
import io.pgtrickle.changelog.Lsn;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/** Builds change events and drains backends for tests and the benchmark. */
public final class TestEvents {

  private TestEvents() {}

  /** An INSERT at LSN {@code 0/<lsn>} with values that test precision. */
  public static ChangeEvent event(long source, long lsn) {
    Map<String, Object> columns = new LinkedHashMap<>();
    columns.put("id", lsn);
    columns.put("name", "row-" + lsn + " ✓ \"quoted\" tab\t newline\n back\\slash");
    columns.put("amount", new BigDecimal("100.00"));
    columns.put("big", new BigDecimal("12345678901234567890.123456789012345678901234567890"));
    columns.put("huge", new BigInteger("123456789012345678901234567890"));
    columns.put("max_bigint", Long.MAX_VALUE);
    columns.put("flag", lsn % 2 == 0);
    columns.put("missing", null);
    columns.put("doc", Map.of("nested", List.of(1L, new BigDecimal("2.50"), "three")));
    return new ChangeEvent(
        source,
        Lsn.of(lsn),
        1000 + lsn,
        ChangeAction.INSERT,
        columns,
        null,
        Instant.parse("2026-05-30T12:00:00.123456Z").plusSeconds(lsn));
  }

  /** An INSERT whose JSON is about {@code bytes} long. */
  public static ChangeEvent sized(long source, long lsn, int bytes) {
    Map<String, Object> columns = new LinkedHashMap<>();
    columns.put("id", lsn);
    columns.put("amount", new BigDecimal("12345.67"));
    columns.put("payload", "x".repeat(Math.max(0, bytes - 160)));
    return ChangeEvent.insert(source, Lsn.of(lsn), lsn, columns, Instant.ofEpochSecond(lsn));
  }

  /** Events at LSNs {@code from..to} inclusive. */
  public static List<ChangeEvent> range(long source, long from, long to) {
    List<ChangeEvent> out = new ArrayList<>();
    for (long l = from; l <= to; l++) {
      out.add(event(source, l));
    }
    return out;
  }

  public static <T> T await(CompletionStage<T> stage) {
    try {
      return stage.toCompletableFuture().get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("operation failed: " + e, e);
    }
  }

  /** Consumes until {@code expected} events arrived or 30 seconds passed. */
  public static List<ChangeEvent> drain(ChangeLogBackend b, long source, Lsn from, int expected) {
    List<ChangeEvent> out = new ArrayList<>();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (out.size() < expected && System.nanoTime() < deadline) {
      List<ChangeEvent> batch = await(b.consume(source, from));
      out.addAll(batch);
      if (batch.isEmpty()) {
        ServerProcess.sleep(20);
      }
    }
    return out;
  }

  /** Consumes a few times and returns whatever came: to show that nothing more comes. */
  public static List<ChangeEvent> drainQuiet(ChangeLogBackend b, long source) {
    List<ChangeEvent> out = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      out.addAll(await(b.consume(source, Lsn.ZERO)));
    }
    return out;
  }

  public static List<Long> lsns(List<ChangeEvent> events) {
    return events.stream().map(e -> e.lsn().value()).toList();
  }

  public static List<Long> longs(long from, long to) {
    List<Long> out = new ArrayList<>();
    for (long l = from; l <= to; l++) {
      out.add(l);
    }
    return out;
  }
}
