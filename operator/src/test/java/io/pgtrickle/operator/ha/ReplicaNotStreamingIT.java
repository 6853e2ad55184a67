package io.pgtrickle.operator.ha;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Condition;
import io.pgtrickle.operator.api.ClusterPhase;
import io.pgtrickle.operator.postgres.failover.ReplicasStreaming;
import io.pgtrickle.operator.status.Conditions;
import io.pgtrickle.operator.testbed.HaCluster;
import io.pgtrickle.testbed.TestNamespace;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A replica that is up and ready but cannot stream (here: its replication role may no longer log
 * in, as after a credentials mistake) is shown by the condition {@code ReplicasStreaming} and a
 * Warning Event, where the phase, the readiness probe and the replica Service all still look
 * healthy; once it streams again the condition turns True.
 */
class ReplicaNotStreamingIT {

  @RegisterExtension static final TestNamespace NAMESPACE = new TestNamespace();

  private static HaCluster ha;

  @BeforeAll
  static void start() {
    ha =
        HaCluster.start(
            NAMESPACE.testBed(),
            NAMESPACE.name(),
            "stall",
            HaCluster.testedMajor(),
            false,
            2,
            Map.of());
  }

  @AfterAll
  static void stop() {
    if (ha != null) {
      ha.close();
    }
  }

  @Test
  void aReadyReplicaThatCannotStreamIsReportedAndClearedOnceItStreams() {
    ha.awaitReplicationHealthy(Duration.ofSeconds(120));
    String primary = ha.primaryPod();
    String replica = primary.equals("stall-0") ? "stall-1" : "stall-0";
    await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> streaming().map(c -> Conditions.TRUE.equals(c.getStatus())).orElse(false));

    // The replica's walsender ends and its reconnections are refused. Two statements, so the
    // NOLOGIN is committed before the walsender ends: in one, its commit (a WAL flush) came after
    // the termination and, under load, the replica logged in again in between (CI, 2026-12-03).
    assertThat(ha.tryOnPrimary("alter role replicator nologin")).isTrue();
    assertThat(
            ha.tryOnPrimary(
                "select pg_terminate_backend(pid) from pg_stat_replication"
                    + " where application_name <> 'pg_basebackup'"))
        .isTrue();
    long stalled = System.nanoTime();
    // The precondition, checked so that a failure below is the operator's: no walsender again.
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> ha.queryLong(HaCluster.STREAMING_REPLICAS) == 0);
    await()
        .during(Duration.ofSeconds(10))
        .atMost(Duration.ofSeconds(15))
        .until(() -> ha.queryLong(HaCluster.STREAMING_REPLICAS) == 0);
    await()
        .atMost(Duration.ofSeconds(150))
        .pollInterval(Duration.ofSeconds(2))
        .until(() -> streaming().map(c -> Conditions.FALSE.equals(c.getStatus())).orElse(false));
    Duration reported = Duration.ofNanos(System.nanoTime() - stalled);
    Condition condition = streaming().orElseThrow();
    System.out.println("ReplicasStreaming after " + reported + ": " + condition.getMessage());
    assertThat(condition.getReason()).isEqualTo(ReplicasStreaming.NOT_STREAMING);
    assertThat(condition.getMessage())
        .startsWith(replica + " has not streamed from the primary " + primary);
    // Not before the grace period; the members stay up, so the phase is unchanged.
    assertThat(reported).isGreaterThanOrEqualTo(Duration.ofSeconds(60));
    assertThat(ha.cluster().getStatus().getPhase()).isEqualTo(ClusterPhase.Running);
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () ->
                assertThat(ha.events(Set.of(ReplicasStreaming.NOT_STREAMING)))
                    .anyMatch(m -> m.contains(replica + " has not streamed")));

    assertThat(ha.tryOnPrimary("alter role replicator login")).isTrue();
    await()
        .atMost(Duration.ofSeconds(90))
        .pollInterval(Duration.ofSeconds(2))
        .until(() -> streaming().map(c -> Conditions.TRUE.equals(c.getStatus())).orElse(false));
    ha.awaitReplicationHealthy(Duration.ofSeconds(60));
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(() -> assertThat(ha.events(Set.of(ReplicasStreaming.TYPE))).isNotEmpty());
  }

  private static Optional<Condition> streaming() {
    var status = ha.cluster().getStatus();
    return status == null
        ? Optional.empty()
        : Conditions.find(status.getConditions(), ReplicasStreaming.TYPE);
  }
}
