package io.pgtrickle.cdc.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.changelog.ChangeEvent;
import io.pgtrickle.changelog.ChangeLogBackend;
import io.pgtrickle.changelog.ChangeLogBackends;
import io.pgtrickle.changelog.Lsn;
import io.pgtrickle.changelog.support.ServerProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The consumer, a child JVM, is killed with SIGKILL at random moments 20 times while a writer
 * commits transactions; afterwards the change log (local WAL files) must hold every committed
 * change exactly once, in commit order, compared with the writer's record of what it committed.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class ExactlyOnceIT {

  private static final int KILLS = 20;

  @Test
  void everyCommittedChangeOnceInCommitOrderDespiteSigkills() throws Exception {
    long seed = System.nanoTime();
    Random random = new Random(seed);
    Path dir = ServerProcess.targetDir("exactly-once");
    Path logFile = dir.resolve("consumers.log");
    try (SourceDb db = SourceDb.start()) {
      Map<String, String> env =
          Consumers.env(db, "items,notes", "exactly_once", dir.resolve("log").toUri().toString());
      int port = ServerProcess.freePort();
      env.put("PGTRICKLE_HTTP_PORT", String.valueOf(port));
      Workload.createTables(db);
      Workload workload = null;
      int killedWhileStreaming = 0;
      try {
        for (int i = 0; i < KILLS; i++) {
          Process p = Consumers.child(env, logFile);
          // Kill some right at start-up, most after they began streaming. The first one creates
          // the slot: what commits before it exists is not for this consumer.
          if (i == 0 || random.nextInt(5) > 0) {
            Consumers.await(
                "consumer ready (log " + logFile + ")",
                Duration.ofSeconds(60),
                () -> Consumers.httpStatus(port, "/readyz") == 200);
            killedWhileStreaming++;
          }
          if (workload == null) {
            workload = new Workload(db, seed, 2000);
          }
          ServerProcess.sleep(random.nextInt(700));
          p.destroyForcibly().waitFor(30, TimeUnit.SECONDS); // SIGKILL
        }
      } finally {
        if (workload != null) {
          workload.close();
        }
      }
      String end = db.queryOne("SELECT pg_current_wal_lsn()::text");
      Process last = Consumers.child(env, logFile);
      try {
        Consumers.await(
            "the slot to confirm " + end,
            Duration.ofSeconds(90),
            () -> {
              String confirmed =
                  db.queryOne(
                      "SELECT confirmed_flush_lsn::text FROM pg_replication_slots"
                          + " WHERE slot_name = 'exactly_once'");
              return confirmed != null && !Lsn.parse(end).isAfter(Lsn.parse(confirmed));
            });
        Object[] metrics = Consumers.http(port, "/metrics");
        assertThat((int) metrics[0]).isEqualTo(200);
        assertThat((String) metrics[1]).contains("pg_trickle_cdc_events_total");
        assertThat(Consumers.httpStatus(port, "/healthz")).isEqualTo(200);
      } finally {
        last.destroy(); // SIGTERM: the graceful path
        assertThat(last.waitFor(30, TimeUnit.SECONDS)).isTrue();
      }
      assertThat(killedWhileStreaming).isGreaterThanOrEqualTo(10);
      try (ChangeLogBackend log =
          ChangeLogBackends.open(dir.resolve("log").toUri() + "?consumer=verify")) {
        // Each source's log opens with the GAP of the slot's creation, and has no other.
        List<String> items = history(Consumers.readAll(log, db.relationOid("items")));
        assertThat(items).hasSizeGreaterThan(1000);
        assertSameHistory("items, seed " + seed, items, withStartGap(workload.items));
        List<String> notes = history(Consumers.readAll(log, db.relationOid("notes")));
        assertSameHistory("notes, seed " + seed, notes, withStartGap(workload.notes));
      }
    }
  }

  /** Equal lists, or a failure showing sizes and the first difference (lists are long). */
  static void assertSameHistory(String what, List<String> actual, List<String> expected) {
    int i = 0;
    while (i < actual.size() && i < expected.size() && actual.get(i).equals(expected.get(i))) {
      i++;
    }
    if (i < actual.size() || i < expected.size()) {
      throw new AssertionError(
          what
              + ": change log has "
              + actual.size()
              + " changes, the source committed "
              + expected.size()
              + "; first difference at "
              + i
              + ": change log "
              + actual.subList(Math.max(0, i - 3), Math.min(actual.size(), i + 4))
              + " vs source "
              + expected.subList(Math.max(0, i - 3), Math.min(expected.size(), i + 4)));
    }
  }

  static List<String> withStartGap(java.util.Collection<String> changes) {
    List<String> out = new ArrayList<>(List.of("GAP"));
    out.addAll(changes);
    return out;
  }

  /** "ACTION id" per event ("GAP", "TRUNCATE" alone), checking that positions increase. */
  static List<String> history(List<ChangeEvent> events) {
    List<String> out = new ArrayList<>();
    Lsn previous = Lsn.ZERO;
    for (ChangeEvent e : events) {
      assertThat(e.lsn()).isGreaterThan(previous);
      previous = e.lsn();
      Map<String, Object> row = e.columns() != null ? e.columns() : e.oldColumns();
      out.add(row == null ? e.action().name() : e.action() + " " + row.get("id"));
    }
    return out;
  }
}
