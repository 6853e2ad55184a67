package io.pgtrickle.operator.ha;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Condition;
import io.pgtrickle.operator.postgres.ReplicaHealth;
import io.pgtrickle.operator.postgres.failover.ReplicasStreaming;
import io.pgtrickle.operator.status.Conditions;
import io.pgtrickle.operator.testbed.HaCluster;
import io.pgtrickle.operator.testbed.OperatorRunner;
import io.pgtrickle.testbed.TestNamespace;
import java.sql.Connection;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A replica that Patroni runs but that can never stream again, and that Patroni does not repair:
 * here the primary removed the WAL it needs (its slot lost past {@code max_slot_wal_keep_size}
 * while it could not log in), so it loops on "requested WAL segment ... has already been removed",
 * behind the primary, as the replicas of a fault trial looped on the end of their own WAL after a
 * failover ("invalid resource manager ID 32 at ...; waiting for WAL to become available"). Deleting
 * its pod does not help. The operator must see that it neither streams nor moves while the primary
 * runs, have Patroni clone it again, and say so (an Event and the {@code ReplicasStreaming}
 * condition).
 */
class StuckReplicaIT {

  @RegisterExtension static final TestNamespace NAMESPACE = new TestNamespace();

  private static HaCluster ha;

  @BeforeAll
  static void start() {
    ha =
        HaCluster.start(
            NAMESPACE.testBed(),
            NAMESPACE.name(),
            "stuck",
            HaCluster.testedMajor(),
            false,
            2,
            Map.of("wal_keep_size", "16", "max_slot_wal_keep_size", "16"));
  }

  @AfterAll
  static void stop() {
    if (ha != null) {
      ha.close();
    }
  }

  @Test
  void aReplicaThatCanNeverStreamAgainIsClonedAgainFromThePrimary() throws Exception {
    ha.awaitReplicationHealthy(Duration.ofSeconds(120));
    String primary = ha.primaryPod();
    String replica = primary.equals("stuck-0") ? "stuck-1" : "stuck-0";
    String replicaIp = ha.podIp(replica);
    String replicaUid = ha.podUid(replica);
    assertThat(ha.tryOnPrimary("create table kept as select generate_series(1, 1000) as id"))
        .isTrue();
    await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> count(replicaIp) == 1000);

    // The replica may not log in while the primary writes past what it keeps for it.
    assertThat(ha.tryOnPrimary("alter role replicator nologin")).isTrue();
    assertThat(
            ha.tryOnPrimary(
                "select pg_terminate_backend(pid) from pg_stat_replication"
                    + " where application_name <> 'pg_basebackup'"))
        .isTrue();
    long stalled = System.nanoTime();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> ha.queryLong(HaCluster.STREAMING_REPLICAS) == 0);
    String needed = walFileOf(receivedLsn(replicaIp));
    assertThat(ha.tryOnPrimary("create table filler (x text)")).isTrue();
    await()
        .atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofSeconds(1))
        .until(
            () -> {
              ha.tryOnPrimary(
                  "insert into filler select repeat('x', 200) from generate_series(1, 50000)");
              ha.tryOnPrimary("select pg_switch_wal()");
              ha.tryOnPrimary("checkpoint");
              return ha.queryLong(
                      "select count(*) from pg_ls_waldir() where name = '" + needed + "'")
                  == 0;
            });
    assertThat(ha.tryOnPrimary("truncate filler")).isTrue();
    assertThat(ha.tryOnPrimary("alter role replicator login")).isTrue();

    // The precondition, so that a failure below is the operator's: it logs in again and cannot
    // stream, and nothing else repairs it.
    await()
        .during(Duration.ofSeconds(30))
        .atMost(Duration.ofSeconds(40))
        .until(() -> ha.queryLong(HaCluster.STREAMING_REPLICAS) == 0);
    assertThat(ha.pods().logTail(replica, 200)).contains("has already been removed");

    try {
      await()
          .atMost(OperatorRunner.STUCK_REPLICA_GRACE.plus(Duration.ofSeconds(60)))
          .pollInterval(Duration.ofSeconds(2))
          .untilAsserted(
              () ->
                  assertThat(ha.events(Set.of(ReplicaHealth.REINITIALIZED)))
                      .anyMatch(
                          m ->
                              m.contains("Reinitialising " + replica + " from the primary")
                                  && m.contains("does not stream from the primary " + primary)));
    } catch (ConditionTimeoutException e) {
      throw new AssertionError(
          replica + " was not reinitialised:\n" + ha.diagnostics() + "\n" + streaming(), e);
    }
    // Not before the grace period: it has not moved since its walsender ended.
    Duration acted = Duration.ofNanos(System.nanoTime() - stalled);
    System.out.println("reinitialised " + acted + " after its walsender ended");
    assertThat(acted).isGreaterThanOrEqualTo(OperatorRunner.STUCK_REPLICA_GRACE);

    // Cloned again in place (the same pod), streaming and holding the data.
    await()
        .atMost(Duration.ofSeconds(180))
        .pollInterval(Duration.ofSeconds(2))
        .ignoreExceptions()
        .until(
            () ->
                ha.queryLong(
                        "select count(*) from pg_stat_replication where state = 'streaming'"
                            + " and application_name = '"
                            + replica
                            + "'")
                    == 1);
    assertThat(ha.podUid(replica)).isEqualTo(replicaUid);
    assertThat(ha.primaryPod()).isEqualTo(primary);
    await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> count(replicaIp) == 1000);
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofSeconds(2))
        .until(
            () ->
                streaming()
                    .map(c -> ReplicasStreaming.STREAMING.equals(c.getReason()))
                    .orElse(false));
    assertThat(ha.events(Set.of(ReplicaHealth.REINITIALIZED))).hasSize(1);
  }

  /** The last WAL position the replica at {@code ip} received. */
  private static String receivedLsn(String ip) throws Exception {
    try (Connection c = ha.connect(ip);
        var rs = c.createStatement().executeQuery("select pg_last_wal_receive_lsn()::text")) {
      rs.next();
      return rs.getString(1);
    }
  }

  /**
   * The primary's name for the WAL file holding {@code lsn} (a replica may not call {@code
   * pg_walfile_name}): the one the replica must stream from next.
   */
  private static String walFileOf(String lsn) throws Exception {
    try (Connection c = ha.connect(ha.primaryIp().orElseThrow());
        var rs =
            c.createStatement().executeQuery("select pg_walfile_name('" + lsn + "'::pg_lsn)")) {
      rs.next();
      return rs.getString(1);
    }
  }

  private static long count(String ip) throws Exception {
    try (Connection c = ha.connect(ip);
        var rs = c.createStatement().executeQuery("select count(*) from kept")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static java.util.Optional<Condition> streaming() {
    var status = ha.cluster().getStatus();
    return status == null
        ? java.util.Optional.empty()
        : Conditions.find(status.getConditions(), ReplicasStreaming.TYPE);
  }
}
