package io.pgtrickle.cdc.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.changelog.ChangeLogBackend;
import io.pgtrickle.changelog.ChangeLogBackends;
import io.pgtrickle.changelog.Lsn;
import io.pgtrickle.changelog.support.PostgresServer;
import io.pgtrickle.changelog.support.ServerProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The change log (PostgreSQL tables on a second server) goes away while the source keeps
 * committing: the consumer must wait without confirming, then deliver everything once; the same
 * after a lost connection and a restart of the source. An idle source does not pin WAL. Around it,
 * the slot's life: created on first start, kept across a restart, dropped by {@code decommission}.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class OutageAndSlotLifecycleIT {

  private static final String SLOT = "outage_slot";

  @Test
  void backendOutageLosesAndDuplicatesNothingAndTheSlotLivesUntilDecommission() throws Exception {
    try (SourceDb db = SourceDb.start();
        PostgresServer logServer = PostgresServer.start()) {
      db.sql("CREATE TABLE t (id int8 PRIMARY KEY)");
      String logUri = logServer.uri("&consumer=verify");
      Map<String, String> env = Consumers.env(db, "t", SLOT, logServer.uri(""));
      List<String> expected = new ArrayList<>();
      assertThat(db.slotExists(SLOT)).isFalse();

      try (ChangeLogBackend publishLog = ChangeLogBackends.open(logServer.uri(""));
          Consumers.InProcess consumer = new Consumers.InProcess(env, publishLog, null)) {
        Consumers.await("streaming", Duration.ofSeconds(30), consumer.state::streaming);
        assertThat(db.slotExists(SLOT)).as("created on first start").isTrue();
        insert(db, 1, 50, expected);
        awaitChangeLog(logUri, db, expected);

        logServer.stop();
        String beforeOutageWrites = db.queryOne("SELECT pg_current_wal_lsn()::text");
        insert(db, 51, 100, expected);
        Consumers.await(
            "the consumer to see the change log down",
            Duration.ofSeconds(30),
            () -> consumer.state.publishFailing());
        ServerProcess.sleep(1000); // a few publish retries and status updates while it is down
        assertThat(Lsn.parse(confirmed(db)))
            .as("nothing written during the outage is confirmed")
            .isLessThanOrEqualTo(Lsn.parse(beforeOutageWrites));
        logServer.startAgain();
        awaitChangeLog(logUri, db, expected);
        Consumers.await(
            "ready again", Duration.ofSeconds(30), () -> !consumer.state.publishFailing());

        // A lost connection, then a restart of the source server: reconnect, nothing lost.
        db.sql(
            "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots"
                + " WHERE slot_name = '"
                + SLOT
                + "'");
        insert(db, 101, 120, expected);
        awaitChangeLog(logUri, db, expected);
        db.server().restart();
        insert(db, 121, 140, expected);
        awaitChangeLog(logUri, db, expected);

        // An idle source (WAL from unpublished tables only) must not pin WAL: the slot follows.
        db.sql("CREATE TABLE unpublished AS SELECT generate_series(1, 10000) AS n");
        String idleEnd = db.queryOne("SELECT pg_current_wal_lsn()::text");
        Consumers.await(
            "the slot to move past WAL it has nothing to publish from",
            Duration.ofSeconds(30),
            () -> !Lsn.parse(idleEnd).isAfter(Lsn.parse(confirmed(db))));
      }

      String confirmedAtStop = confirmed(db);
      assertThat(db.slotExists(SLOT)).as("kept when the consumer stops").isTrue();
      try (ChangeLogBackend publishLog = ChangeLogBackends.open(logServer.uri(""));
          Consumers.InProcess consumer = new Consumers.InProcess(env, publishLog, null)) {
        Consumers.await("streaming", Duration.ofSeconds(30), consumer.state::streaming);
        assertThat(Lsn.parse(confirmed(db)))
            .as("a restart resumes from the kept slot")
            .isGreaterThanOrEqualTo(Lsn.parse(confirmedAtStop));
        insert(db, 141, 150, expected);
        awaitChangeLog(logUri, db, expected);
      }

      Path log = ServerProcess.targetDir("decommission").resolve("decommission.log");
      Process p = Consumers.child(env, log, "decommission");
      assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
      assertThat(p.exitValue()).as(ServerProcess.tail(log)).isZero();
      assertThat(db.slotExists(SLOT)).as("dropped on decommission").isFalse();

      Process bad = Consumers.child(Map.of("PGTRICKLE_TABLES", "t"), log, "run");
      assertThat(bad.waitFor(60, TimeUnit.SECONDS)).isTrue();
      assertThat(bad.exitValue()).isEqualTo(2);
      assertThat(ServerProcess.tail(log))
          .contains("PGTRICKLE_SOURCE_URL (--source-url) is required");
    }
  }

  private static void insert(SourceDb db, int from, int to, List<String> expected) {
    for (int id = from; id <= to; id++) {
      db.sql("INSERT INTO t VALUES (" + id + ")");
      expected.add("INSERT " + id);
    }
  }

  private static String confirmed(SourceDb db) {
    return db.queryOne(
        "SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = '"
            + SLOT
            + "'");
  }

  /** Waits until the change log holds exactly the expected history of t, then checks it. */
  private static void awaitChangeLog(String logUri, SourceDb db, List<String> expected) {
    long oid = db.relationOid("t");
    List<String> seen = new ArrayList<>();
    Consumers.await(
        expected.size() + " changes in the change log",
        Duration.ofSeconds(60),
        () -> {
          seen.clear();
          try (ChangeLogBackend read = ChangeLogBackends.open(logUri)) {
            seen.addAll(
                ExactlyOnceIT.history(Consumers.afterStartGap(Consumers.readAll(read, oid))));
          }
          return seen.size() >= expected.size();
        });
    ExactlyOnceIT.assertSameHistory("t", seen, expected);
  }
}
