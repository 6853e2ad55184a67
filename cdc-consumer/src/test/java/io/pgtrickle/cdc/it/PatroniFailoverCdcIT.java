package io.pgtrickle.cdc.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.testbed.TestNamespace;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The CDC consumer across failovers of a real Patroni cluster on PostgreSQL 17 ({@link
 * FailoverRun}: the primary pod deleted, then the primary crashed, alternately, until two faults
 * moved the primary to another member): the change log holds every committed change exactly once,
 * in commit order, and the slot is never re-created.
 *
 * <p>What makes that hold: the consumer creates its slot with {@code failover = true}, and the
 * cluster runs with {@code sync_replication_slots = on} and {@code hot_standby_feedback = on}
 * ({@code spec.postgresqlParams}), so each standby keeps a synchronized copy (Patroni 4.1 leaves
 * failover slots alone) and the new primary has the slot at or before what the consumer confirmed;
 * what PostgreSQL sends again is dropped by the change log's idempotence. A standby has the copy
 * only once its slot sync worker ran after the slot's creation, so the test waits for the
 * synchronous standby's copy before each fault: a failover before that would lose the slot, the
 * documented limit of failover slots, not what this test is about. At the end every standby must
 * hold a synchronized copy: the former primary the slot was created on rejoins with its own copy,
 * which the consumer drops ({@code StaleSlotCopies}) so that its slot sync worker keeps one.
 */
@Timeout(value = 15, unit = TimeUnit.MINUTES)
class PatroniFailoverCdcIT {

  @RegisterExtension static final TestNamespace NAMESPACE = new TestNamespace();

  private static PatroniCluster cluster;

  @BeforeAll
  static void start() throws Exception {
    cluster =
        new PatroniCluster(
            NAMESPACE,
            "cdc17",
            17,
            Map.of("sync_replication_slots", "on", "hot_standby_feedback", "on"));
  }

  @AfterAll
  static void stop() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void everyCommittedChangeOnceInCommitOrderAcrossADeletedAndACrashedPrimary() throws Exception {
    FailoverRun run = FailoverRun.run(cluster, true);
    assertThat(run.failovers()).as("faults that moved the primary: %s", run.faults()).isPositive();
    assertThat(run.slotsRecreated()).as("the slot survived %s", run.faults()).isZero();
    run.assertNoAcknowledgedCommitLost();
    assertThat(run.acknowledged().size()).isGreaterThan(600);
    ExactlyOnceIT.assertSameHistory(
        "ledger after " + run.faults() + ", " + run.uncertain().size() + " uncertain commits",
        run.published(),
        ExactlyOnceIT.withStartGap(run.committed()));
  }
}
