package io.pgtrickle.cdc.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.cdc.http.Health;
import io.pgtrickle.changelog.ChangeLogBackend;
import io.pgtrickle.changelog.ChangeLogBackends;
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
 * Issue #18, case 11: a partitioned table is published through its root, so every event carries the
 * OID of the table the user named, whichever partition the row lives in; a row moved across
 * partitions arrives as DELETE and INSERT of the partitioned table. Setting up the publication is
 * idempotent: a lost connection and a restart of the consumer (each sets it up again) never wedge
 * it. A publication made earlier without {@code publish_via_partition_root} is switched to it.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class PartitionedTablesIT {

  @Test
  void eventsOfAPartitionedTableCarryItsOidAcrossReconnectsAndRestarts() throws Exception {
    try (SourceDb db = SourceDb.start()) {
      db.sql(
          "CREATE TABLE p (id int8 NOT NULL, part int NOT NULL, v text, PRIMARY KEY (id, part))"
              + " PARTITION BY LIST (part)",
          "CREATE TABLE p1 PARTITION OF p FOR VALUES IN (1)",
          "CREATE TABLE p2 PARTITION OF p FOR VALUES IN (2)",
          "CREATE TABLE t (id int8 PRIMARY KEY)",
          // Made by an earlier version, or by hand: publishes the partitions' own OIDs.
          "CREATE PUBLICATION part_slot FOR TABLE p, t");
      Path dir = ServerProcess.targetDir("partitioned");
      String uri = dir.resolve("log").toUri().toString();
      Map<String, String> env = Consumers.env(db, "p,t", "part_slot", uri);
      env.put("PGTRICKLE_PUBLICATION", "part_slot");
      long p = db.relationOid("p");
      long t = db.relationOid("t");
      List<String> expected = new ArrayList<>(List.of("GAP"));
      try (ChangeLogBackend log = ChangeLogBackends.open(uri)) {
        LogReader read = new LogReader(log);
        try (Consumers.InProcess consumer = new Consumers.InProcess(env, log, null)) {
          Consumers.await("streaming", Duration.ofSeconds(30), consumer.state::streaming);
          db.sql(
              "INSERT INTO p VALUES (1, 1, 'a'), (2, 2, 'b')",
              "UPDATE p SET part = 2 WHERE id = 1", // moves the row from p1 to p2
              "DELETE FROM p WHERE id = 2");
          expected.addAll(List.of("INSERT 1", "INSERT 2", "DELETE 1", "INSERT 1", "DELETE 2"));
          read.await(p, expected);

          // A lost connection: the consumer sets everything up again and carries on.
          db.sql(
              "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots"
                  + " WHERE slot_name = 'part_slot'");
          db.sql("INSERT INTO p VALUES (3, 1, 'c')", "INSERT INTO t VALUES (1)");
          expected.add("INSERT 3");
          read.await(p, expected);
          read.await(t, List.of("GAP", "INSERT 1"));
          Consumers.await(
              "ready", Duration.ofSeconds(30), () -> Health.readiness(consumer.state).ok());
        }
        // A restart of the consumer sets it up again too.
        try (Consumers.InProcess consumer = new Consumers.InProcess(env, log, null)) {
          Consumers.await("streaming", Duration.ofSeconds(30), consumer.state::streaming);
          db.sql("INSERT INTO p VALUES (4, 2, 'd')", "INSERT INTO t VALUES (2)");
          expected.add("INSERT 4");
          read.await(p, expected);
          read.await(t, List.of("GAP", "INSERT 1", "INSERT 2"));
          assertThat(Health.liveness(consumer.state, Long.MAX_VALUE).ok()).isTrue();
        }
        assertThat(read.events(db.relationOid("p1"))).as("nothing under p1").isEmpty();
        assertThat(read.events(db.relationOid("p2"))).as("nothing under p2").isEmpty();
        assertThat(read.events(p)).allMatch(e -> e.sourceOid() == p);
      }
      assertThat(db.queryOne("SELECT pubviaroot FROM pg_publication WHERE pubname = 'part_slot'"))
          .isEqualTo("t");
    }
  }
}
