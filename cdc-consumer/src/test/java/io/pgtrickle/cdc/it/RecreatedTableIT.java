package io.pgtrickle.cdc.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.cdc.http.Health;
import io.pgtrickle.changelog.ChangeLogBackend;
import io.pgtrickle.changelog.ChangeLogBackends;
import io.pgtrickle.changelog.support.ServerProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue #18, case 13: a captured table dropped and created again under the same name. The consumer
 * notices within a catalog poll, adds the new table, and records the gap: the old table's history
 * ends with a GAP event (its rows vanished without events), the new one's starts with a GAP event
 * at the point from which every change of it is captured. The same when it happened while the
 * consumer was stopped. No committed row is ever missing without a GAP before the rows after it.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class RecreatedTableIT {

  @Test
  void aDroppedAndRecreatedTableIsCapturedAgainWithTheGapRecorded() throws Exception {
    try (SourceDb db = SourceDb.start()) {
      db.sql("CREATE TABLE r (id int PRIMARY KEY)");
      Path dir = ServerProcess.targetDir("recreated");
      String uri = dir.resolve("log").toUri().toString();
      Map<String, String> env = Consumers.env(db, "r", "recreated", uri);
      env.put("PGTRICKLE_CATALOG_POLL_MS", "200");
      long first = db.relationOid("r");
      try (ChangeLogBackend log = ChangeLogBackends.open(uri)) {
        LogReader read = new LogReader(log);
        try (Consumers.InProcess consumer = new Consumers.InProcess(env, log, null)) {
          Consumers.await("streaming", Duration.ofSeconds(30), consumer.state::streaming);
          db.sql("INSERT INTO r VALUES (1)", "INSERT INTO r VALUES (2)");
          read.awaitChanges(first, List.of("INSERT 1", "INSERT 2"));

          db.sql(
              "DROP TABLE r",
              "CREATE TABLE r (id int PRIMARY KEY, extra text)",
              "INSERT INTO r VALUES (3, 'before the consumer noticed')");
          long second = db.relationOid("r");
          Consumers.await(
              "the new r in the publication",
              Duration.ofSeconds(30),
              () -> ChangeTracking.published(db, "recreated", "r"));
          read.await(first, List.of("GAP", "INSERT 1", "INSERT 2", "GAP"));
          db.sql("INSERT INTO r VALUES (4, 'after')");
          // Row 3 committed before the new r was in the publication: never decoded, and the GAP
          // (recorded with the old r's, which was awaited above) says so.
          assertThat(awaitGapAnd(read, second, "INSERT 4")).containsExactly("GAP", "INSERT 4");
          Consumers.await(
              "ready", Duration.ofSeconds(30), () -> Health.readiness(consumer.state).ok());
        }

        // The same while the consumer is stopped: it notices at start.
        db.sql("DROP TABLE r", "CREATE TABLE r (id int PRIMARY KEY)", "INSERT INTO r VALUES (5)");
        long third = db.relationOid("r");
        try (Consumers.InProcess consumer = new Consumers.InProcess(env, log, null)) {
          Consumers.await("streaming", Duration.ofSeconds(30), consumer.state::streaming);
          Consumers.await(
              "the new r in the publication",
              Duration.ofSeconds(30),
              () -> ChangeTracking.published(db, "recreated", "r"));
          db.sql("INSERT INTO r VALUES (6)");
          // Row 6 may come before the GAP: the gap marker waits for the transactions in flight
          // when r was added, and a GAP says "before it, changes may be missing".
          assertThat(awaitGapAnd(read, third, "INSERT 6"))
              .containsExactlyInAnyOrder("GAP", "INSERT 6");
        }
      }
    }
  }

  private static List<String> awaitGapAnd(LogReader read, long oid, String change) {
    Consumers.await(
        "a GAP and " + change + " in the history of " + oid + " (so far " + read.history(oid) + ")",
        Duration.ofSeconds(30),
        () -> read.history(oid).containsAll(List.of("GAP", change)));
    return read.history(oid);
  }
}
