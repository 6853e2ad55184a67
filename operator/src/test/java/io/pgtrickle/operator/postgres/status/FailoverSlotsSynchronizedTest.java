package io.pgtrickle.operator.postgres.status;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.postgres.spec.Clusters;
import io.pgtrickle.operator.status.Conditions;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FailoverSlotsSynchronizedTest {

  private static final Instant NOW = Instant.parse("2026-12-04T00:00:00Z");

  @Test
  void trueWithTheDefaultsFrom17() {
    Condition c = condition(cluster(17, Map.of()));
    assertThat(c.getStatus()).isEqualTo("True");
    assertThat(c.getReason()).isEqualTo(FailoverSlotsSynchronized.ON);
    assertThat(c.getMessage()).contains("sync_replication_slots on");
  }

  @Test
  void falseNamingTheUsersParameterThatKeepsTheDefaultOff() {
    Condition c = condition(cluster(18, Map.of("hot_standby_feedback", "off")));
    assertThat(c.getStatus()).isEqualTo("False");
    assertThat(c.getReason()).isEqualTo(FailoverSlotsSynchronized.OFF);
    assertThat(c.getMessage())
        .isEqualTo(
            "sync_replication_slots is left off because spec.postgresqlParams sets"
                + " hot_standby_feedback off (PostgreSQL then synchronizes no slot): a switchover"
                + " or failover loses the CDC slots of StreamTableClusters (GAP events, a full"
                + " refresh of their stream tables)");
  }

  @Test
  void falseWhenTheUserTurnsItOffOrOnWithoutWhatItNeeds() {
    Condition off = condition(cluster(17, Map.of("sync_replication_slots", "off")));
    assertThat(off.getStatus()).isEqualTo("False");
    assertThat(off.getMessage())
        .startsWith("spec.postgresqlParams sets sync_replication_slots off");
    Condition broken =
        condition(cluster(17, Map.of("sync_replication_slots", "on", "wal_level", "replica")));
    assertThat(broken.getStatus()).isEqualTo("False");
    assertThat(broken.getMessage())
        .startsWith("sync_replication_slots is on with wal_level replica, so");
  }

  @Test
  void absentBefore17AndInTheCalculatorsStatus() {
    assertThat(FailoverSlotsSynchronized.with(List.of(), cluster(16, Map.of()), 1, NOW)).isEmpty();
    var status =
        ClusterStatusCalculator.calculate(cluster(17, Map.of()), ObservedCluster.nothing(), NOW);
    assertThat(Conditions.find(status.getConditions(), FailoverSlotsSynchronized.TYPE))
        .map(Condition::getStatus)
        .contains("True");
    status =
        ClusterStatusCalculator.calculate(cluster(16, Map.of()), ObservedCluster.nothing(), NOW);
    assertThat(Conditions.find(status.getConditions(), FailoverSlotsSynchronized.TYPE)).isEmpty();
  }

  private static PostgresCluster cluster(int major, Map<String, String> params) {
    PostgresCluster cluster = Clusters.basic(3);
    cluster.getSpec().setVersion(new IntOrString(major));
    cluster.getSpec().setPostgresqlParams(params);
    return cluster;
  }

  private static Condition condition(PostgresCluster cluster) {
    return Conditions.find(
            FailoverSlotsSynchronized.with(List.of(), cluster, 1, NOW),
            FailoverSlotsSynchronized.TYPE)
        .orElseThrow();
  }
}
