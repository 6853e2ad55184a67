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
 * Issue #18, case 10: a table without replica identity must never enter the publication, since
 * PostgreSQL then refuses its UPDATE and DELETE ({@code 55000}). Named in {@code --tables}, it
 * refuses the start (exit 2, naming the table and the fix); tracked later through the catalog, it
 * is not added and {@code /readyz} says why, until it gets an identity; {@code decommission}
 * removes what the consumer added, and only that.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class ReplicaIdentityIT {

  @Test
  void aTableWithoutReplicaIdentityInTablesRefusesTheStart() throws Exception {
    try (SourceDb db = SourceDb.start()) {
      db.sql(
          "CREATE TABLE t (id int PRIMARY KEY)",
          "CREATE TABLE nk (a int, b text)",
          "INSERT INTO nk VALUES (1, 'x')",
          // A partitioned table is checked partition by partition.
          "CREATE TABLE q (a int, b text) PARTITION BY LIST (a)",
          "ALTER TABLE q REPLICA IDENTITY FULL",
          "CREATE TABLE q1 PARTITION OF q FOR VALUES IN (1)");
      Path dir = ServerProcess.targetDir("replica-identity");
      String changeLog = dir.resolve("log").toUri().toString();

      Path log = dir.resolve("nk.log");
      Process p = Consumers.child(Consumers.env(db, "t,nk", "ri_slot", changeLog), log, "run");
      assertExitsWith(p, 2, log);
      assertThat(ServerProcess.tail(log))
          .contains("table public.nk has no primary key")
          .contains("ALTER TABLE public.nk REPLICA IDENTITY FULL");
      assertThat(ChangeTracking.inAnyPublication(db, "nk")).as("nk left alone").isFalse();
      db.sql("UPDATE nk SET b = 'y'", "DELETE FROM nk"); // the application still works

      Path qlog = dir.resolve("q.log");
      Process q = Consumers.child(Consumers.env(db, "q", "ri_slot", changeLog), qlog, "run");
      assertExitsWith(q, 2, qlog);
      assertThat(ServerProcess.tail(qlog)).contains("partition public.q1 of public.q");
      assertThat(ChangeTracking.inAnyPublication(db, "q")).isFalse();
    }
  }

  @Test
  void aTrackedTableWithoutReplicaIdentityWaitsOutsideThePublicationUntilItHasOne()
      throws Exception {
    try (SourceDb db = SourceDb.start()) {
      db.sql(
          "CREATE TABLE t (id int PRIMARY KEY)",
          "CREATE TABLE nk2 (id int, b text)",
          "INSERT INTO nk2 VALUES (1, 'x')");
      ChangeTracking.install(db);
      Path dir = ServerProcess.targetDir("replica-identity-catalog");
      Map<String, String> env =
          Consumers.env(db, "t", "ri_catalog", dir.resolve("log").toUri().toString());
      env.put("PGTRICKLE_CATALOG_POLL_MS", "100");
      try (ChangeLogBackend log = ChangeLogBackends.open(dir.resolve("log").toUri().toString());
          Consumers.InProcess consumer = new Consumers.InProcess(env, log, null)) {
        Consumers.await("streaming", Duration.ofSeconds(30), consumer.state::streaming);
        ChangeTracking.track(db, "nk2");
        Consumers.await(
            "/readyz to report nk2",
            Duration.ofSeconds(30),
            () -> Health.readiness(consumer.state).message().contains("public.nk2"));
        assertThat(Health.readiness(consumer.state).ok()).isFalse();
        assertThat(Health.readiness(consumer.state).message()).contains("REPLICA IDENTITY FULL");
        ServerProcess.sleep(500); // several more rounds
        assertThat(ChangeTracking.inAnyPublication(db, "nk2")).isFalse();
        assertThat(ChangeTracking.capturedSince(db, "nk2")).isNull();
        db.sql("UPDATE nk2 SET b = 'y'");

        db.sql("ALTER TABLE nk2 REPLICA IDENTITY FULL");
        Consumers.await(
            "nk2 captured once it has an identity",
            Duration.ofSeconds(30),
            () -> ChangeTracking.capturedSince(db, "nk2") != null);
        assertThat(ChangeTracking.published(db, "ri_catalog", "nk2")).isTrue();
        Consumers.await(
            "ready again", Duration.ofSeconds(30), () -> Health.readiness(consumer.state).ok());
        db.sql("UPDATE nk2 SET b = 'z'");
        // The update, after the GAP that marks where capture started.
        new LogReader(log).await(db.relationOid("nk2"), List.of("GAP", "UPDATE 1"));
      }
    }
  }

  @Test
  void decommissionRemovesWhatTheConsumerAddedAndNothingElse() throws Exception {
    try (SourceDb db = SourceDb.start()) {
      db.sql(
          "CREATE TABLE t (id int PRIMARY KEY)",
          "CREATE TABLE u (id int PRIMARY KEY)",
          "CREATE PUBLICATION shared FOR TABLE u");
      Path dir = ServerProcess.targetDir("decommission-undo");
      String changeLog = dir.resolve("log").toUri().toString();

      // A publication someone else made: the consumer adds t, decommission takes only t out.
      Map<String, String> env = Consumers.env(db, "t", "undo_shared", changeLog);
      env.put("PGTRICKLE_PUBLICATION", "shared");
      runUntilStreaming(env, changeLog);
      assertThat(ChangeTracking.published(db, "shared", "t")).isTrue();
      decommission(env, dir.resolve("shared.log"));
      assertThat(ChangeTracking.published(db, "shared", "t")).as("t taken out").isFalse();
      assertThat(ChangeTracking.published(db, "shared", "u")).as("u stays").isTrue();

      // Its own publication (named after its slot): decommission drops it.
      Map<String, String> own = Consumers.env(db, "t", "undo_own", changeLog);
      runUntilStreaming(own, changeLog);
      assertThat(db.queryOne("SELECT count(*) FROM pg_publication WHERE pubname = 'undo_own'"))
          .isEqualTo("1");
      decommission(own, dir.resolve("own.log"));
      assertThat(db.queryOne("SELECT count(*) FROM pg_publication WHERE pubname = 'undo_own'"))
          .isEqualTo("0");
      assertThat(db.slotExists("undo_own")).isFalse();
    }
  }

  private static void runUntilStreaming(Map<String, String> env, String changeLog) {
    try (ChangeLogBackend log = ChangeLogBackends.open(changeLog);
        Consumers.InProcess consumer = new Consumers.InProcess(env, log, null)) {
      Consumers.await("streaming", Duration.ofSeconds(30), consumer.state::streaming);
    }
  }

  private static void decommission(Map<String, String> env, Path log) throws Exception {
    assertExitsWith(Consumers.child(env, log, "decommission"), 0, log);
  }

  static void assertExitsWith(Process p, int code, Path log) throws InterruptedException {
    boolean exited = p.waitFor(30, TimeUnit.SECONDS);
    if (!exited) {
      p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    assertThat(exited).as("exited within 30 s; log:%n%s", ServerProcess.tail(log)).isTrue();
    assertThat(p.exitValue()).as("exit code; log:%n%s", ServerProcess.tail(log)).isEqualTo(code);
  }
}
