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
 * Issue #18, cases 12 and 15. A slot PostgreSQL invalidated ({@code max_slot_wal_keep_size}
 * exceeded while the consumer was stopped) is a terminal state: the consumer exits with code 3 and
 * a message naming the slot, what happened and what to do, and its liveness fails; re-creating the
 * slot (decommission, then run) records the gap in the change log as a GAP event. A clean stop
 * (SIGTERM, what was read published and confirmed) exits with 0.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class SlotLossAndExitCodesIT {

  private static final String SLOT = "lost_slot";

  @Test
  void aLostSlotIsTerminalAndRecreatingItRecordsTheGap() throws Exception {
    try (SourceDb db = SourceDb.start()) {
      db.sql(
          "CREATE TABLE t (id int8 PRIMARY KEY)",
          "CREATE TABLE filler (id int8, pad text)",
          "ALTER SYSTEM SET max_slot_wal_keep_size = '1MB'",
          "SELECT pg_reload_conf()");
      Path dir = ServerProcess.targetDir("slot-lost");
      String uri = dir.resolve("log").toUri().toString();
      Map<String, String> env = Consumers.env(db, "t", SLOT, uri);
      long t = db.relationOid("t");
      try (ChangeLogBackend log = ChangeLogBackends.open(uri)) {
        LogReader read = new LogReader(log);
        try (Consumers.InProcess consumer = new Consumers.InProcess(env, log, null)) {
          Consumers.await("streaming", Duration.ofSeconds(30), consumer.state::streaming);
          db.sql("INSERT INTO t VALUES (1)", "INSERT INTO t VALUES (2)");
          read.awaitChanges(t, List.of("INSERT 1", "INSERT 2"));
        }
        db.sql("INSERT INTO t VALUES (3)"); // committed while the consumer is stopped: lost
        loseTheSlot(db);

        // In process: the consumer stops for good, and its liveness says why.
        try (Consumers.InProcess consumer = new Consumers.InProcess(env, log, null)) {
          Consumers.await(
              "liveness to fail",
              Duration.ofSeconds(30),
              () -> !Health.liveness(consumer.state, Long.MAX_VALUE).ok());
          assertThat(Health.liveness(consumer.state, Long.MAX_VALUE).message())
              .contains("replication slot " + SLOT + " is lost");
          assertThat(Health.readiness(consumer.state).ok()).isFalse();
        }
      }

      // As a program: exit code 3 and what to do.
      Path runLog = dir.resolve("run.log");
      Map<String, String> childEnv =
          Consumers.env(db, "t", SLOT, dir.resolve("child-log").toUri().toString());
      ReplicaIdentityIT.assertExitsWith(Consumers.child(childEnv, runLog, "run"), 3, runLog);
      assertThat(ServerProcess.tail(runLog))
          .contains("replication slot " + SLOT + " is lost (wal_status=lost")
          .contains("can no longer be read")
          .contains("cdc-consumer decommission")
          .contains("publishes a GAP event");

      // Recovery as the message says: decommission, run. The gap is in the change log.
      Path decommissionLog = dir.resolve("decommission.log");
      ReplicaIdentityIT.assertExitsWith(
          Consumers.child(env, decommissionLog, "decommission"), 0, decommissionLog);
      try (ChangeLogBackend log = ChangeLogBackends.open(uri)) {
        try (Consumers.InProcess consumer = new Consumers.InProcess(env, log, null)) {
          Consumers.await("streaming", Duration.ofSeconds(30), consumer.state::streaming);
          db.sql("INSERT INTO t VALUES (4)");
          new LogReader(log).await(t, List.of("GAP", "INSERT 1", "INSERT 2", "GAP", "INSERT 4"));
        }
      }
    }
  }

  @Test
  void aCleanStopExitsWithZero() throws Exception {
    try (SourceDb db = SourceDb.start()) {
      db.sql("CREATE TABLE t (id int8 PRIMARY KEY)");
      Path dir = ServerProcess.targetDir("clean-stop");
      Path runLog = dir.resolve("run.log");
      String uri = dir.resolve("log").toUri().toString();
      Map<String, String> env = Consumers.env(db, "t", "clean_stop", uri);
      int port = ServerProcess.freePort();
      env.put("PGTRICKLE_HTTP_PORT", String.valueOf(port));
      Process p = Consumers.child(env, runLog, "run");
      try {
        Consumers.await(
            "ready (log " + runLog + ")",
            Duration.ofSeconds(60),
            () -> Consumers.httpStatus(port, "/readyz") == 200);
        db.sql("INSERT INTO t VALUES (1)");
        String end = db.queryOne("SELECT pg_current_wal_lsn()::text");
        Consumers.await(
            "the insert published and confirmed",
            Duration.ofSeconds(30),
            () ->
                db.queryOne(
                        "SELECT confirmed_flush_lsn >= '"
                            + end
                            + "' FROM pg_replication_slots WHERE slot_name = 'clean_stop'")
                    .equals("t"));
        p.destroy(); // SIGTERM
        ReplicaIdentityIT.assertExitsWith(p, 0, runLog);
      } finally {
        p.destroyForcibly();
      }
      try (ChangeLogBackend log = ChangeLogBackends.open(uri)) {
        assertThat(ExactlyOnceIT.history(Consumers.readAll(log, db.relationOid("t"))))
            .as("what was read before the stop is in the change log")
            .containsExactly("GAP", "INSERT 1");
      }
    }
  }

  /** Writes WAL and checkpoints until PostgreSQL invalidates the (inactive) slot. */
  private static void loseTheSlot(SourceDb db) {
    Consumers.await(
        "the slot to be lost",
        Duration.ofSeconds(120),
        () -> {
          db.sql(
              "INSERT INTO filler SELECT g, repeat('x', 1000) FROM generate_series(1, 20000) g",
              "SELECT pg_switch_wal()",
              "CHECKPOINT");
          return "lost"
              .equals(
                  db.queryOne(
                      "SELECT wal_status FROM pg_replication_slots WHERE slot_name = '"
                          + SLOT
                          + "'"));
        });
  }
}
