package io.pgtrickle.operator.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.api.SwitchoverRecord;
import io.pgtrickle.operator.postgres.failover.PrimaryChange;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class SwitchoverMemoryTest {

  private static final Instant NOW = Instant.parse("2026-12-04T12:00:00Z");

  private static PostgresCluster cluster() {
    PostgresCluster cluster = new PostgresCluster();
    cluster.setMetadata(new ObjectMetaBuilder().withNamespace("ns").withName("db").build());
    return cluster;
  }

  @Test
  void aRoundReadingTheClusterFromBeforeTheRecordStillSeesASwitchoverReportedOnce() {
    PostgresCluster cluster = cluster();
    SwitchoverMemory memory = new SwitchoverMemory();
    SwitchoverRecord record = new SwitchoverRecord("db-0", "db-1", "2026-12-04T11:59:59Z");
    memory.accepted(cluster, record);

    // The round that sees the move with the record in the status reports it.
    PrimaryChange seen = PrimaryChange.of("db-0", "db-1", record, NOW);
    assertThat(seen.kind()).isEqualTo(PrimaryChange.Kind.SWITCHOVER);
    assertThat(memory.firstCompletion(cluster, seen.switchover())).isTrue();

    // A round on a cluster read before that status patch: no record in its status.
    PrimaryChange stale = PrimaryChange.of("db-0", "db-1", memory.recall(cluster), NOW);
    assertThat(stale.kind()).isEqualTo(PrimaryChange.Kind.SWITCHOVER);
    assertThat(memory.firstCompletion(cluster, stale.switchover())).isFalse();
  }

  @Test
  void aRecordKnownOnlyFromTheStatusIsReportedAndAFailoverSettlesTheMemory() {
    PostgresCluster cluster = cluster();
    SwitchoverMemory memory = new SwitchoverMemory();
    SwitchoverRecord record = new SwitchoverRecord("db-0", null, "2026-12-04T11:59:59Z");
    // After an operator restart the memory is empty.
    assertThat(memory.recall(cluster)).isNull();
    assertThat(memory.firstCompletion(cluster, record)).isTrue();
    memory.settled(cluster);
    assertThat(memory.recall(cluster)).isNull();
    assertThat(PrimaryChange.of("db-0", "db-1", memory.recall(cluster), NOW).kind())
        .isEqualTo(PrimaryChange.Kind.FAILOVER);
  }
}
