package io.pgtrickle.operator.streams.db;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Whether a server has a slot and a WAL sender for each CDC consumer asked for. */
class ReplicationCapacityTest {

  private static final String RAISE = "in spec.postgresqlParams of PostgresCluster pg";

  private static List<String> wanted(int n) {
    return java.util.stream.IntStream.range(0, n).mapToObj(i -> "pgtrickle_o_" + i).toList();
  }

  @Test
  void roomForEveryConsumerIsNoShortfall() {
    // A 3-member PostgresCluster: 13 slots, 2 physical ones for Patroni's replicas.
    assertThat(new ReplicationCapacity(13, 2, Set.of(), 13, 2).shortfall(wanted(11), RAISE))
        .isEmpty();
  }

  /** Before, the consumer retried "all replication slots are in use" with status CdcNotReady. */
  @Test
  void noFreeSlotNamesTheSettingItsValueAndWhereToRaiseIt() {
    var shortfall =
        new ReplicationCapacity(13, 2, Set.of(), 13, 2).shortfall(wanted(12), RAISE).orElseThrow();
    assertThat(shortfall.reason()).isEqualTo(ReplicationCapacity.SLOTS_EXHAUSTED);
    assertThat(shortfall.message())
        .isEqualTo(
            "spec.cdc.replicas asks for 12 CDC consumer(s), one replication slot each, and 12 of"
                + " them have none: max_replication_slots is 13, 2 in use by others and 0 by this"
                + " pipeline, 11 free: 1 slot(s) short; 11 of 12 consumers can run, the others"
                + " wait for one. Raise max_replication_slots and max_wal_senders"
                + " in spec.postgresqlParams of PostgresCluster pg, drop slots nothing uses"
                + " (pg_replication_slots), or lower spec.cdc.replicas");
  }

  /** The pipeline's own slots that exist need no room: only the missing ones do. */
  @Test
  void onlyMissingSlotsNeedRoom() {
    Set<String> own = Set.of("pgtrickle_o_0", "pgtrickle_o_1", "pgtrickle_o_2");
    ReplicationCapacity full = new ReplicationCapacity(5, 5, own, 10, 2);
    assertThat(full.shortfall(wanted(3), RAISE)).isEmpty();
    var scaledUp = full.shortfall(wanted(5), RAISE).orElseThrow();
    assertThat(scaledUp.message())
        .contains("2 of them have none")
        .contains("2 in use by others and 3 by this pipeline, 0 free: 2 slot(s) short")
        .contains("3 of 5 consumers can run");
    // The three consumers with a slot keep running: a scale-up short of slots is no failure.
    assertThat(scaledUp.runnable()).isEqualTo(3);
    // A slot of a consumer scaled away (still being dropped) is the pipeline's, not another's.
    ReplicationCapacity dropping =
        new ReplicationCapacity(5, 5, Set.of("pgtrickle_o_0", "pgtrickle_o_7"), 10, 1);
    assertThat(dropping.shortfall(wanted(2), RAISE).orElseThrow().message())
        .contains("3 in use by others and 2 by this pipeline, 0 free: 1 slot(s) short");
  }

  @Test
  void noFreeWalSenderIsTheOtherShortfall() {
    ReplicationCapacity senders = new ReplicationCapacity(20, 0, Set.of(), 10, 9);
    assertThat(senders.shortfall(wanted(1), RAISE)).isEmpty();
    var shortfall = senders.shortfall(wanted(2), RAISE).orElseThrow();
    assertThat(shortfall.reason()).isEqualTo(ReplicationCapacity.WAL_SENDERS_EXHAUSTED);
    assertThat(shortfall.message())
        .isEqualTo(
            "spec.cdc.replicas asks for 2 CDC consumer(s), one WAL sender each: max_wal_senders is"
                + " 10 and 9 in use by others: 1 WAL sender(s) short; 1 of 2 consumers can run, the"
                + " others wait for one. Raise max_wal_senders in"
                + " spec.postgresqlParams of PostgresCluster pg, or lower spec.cdc.replicas");
  }

  /** No slot for any consumer: nothing can run, the only case the pipeline fails for. */
  @Test
  void noConsumerCanRunWhenNoneHasASlotAndNoneIsFree() {
    var none = new ReplicationCapacity(2, 2, Set.of(), 10, 0).shortfall(wanted(1), RAISE);
    assertThat(none.orElseThrow().runnable()).isZero();
    assertThat(none.orElseThrow().message()).contains("1 slot(s) short; no consumer can run.");
    // Slots for all, WAL senders for none.
    var noSender = new ReplicationCapacity(10, 0, Set.of(), 3, 3).shortfall(wanted(2), RAISE);
    assertThat(noSender.orElseThrow().reason())
        .isEqualTo(ReplicationCapacity.WAL_SENDERS_EXHAUSTED);
    assertThat(noSender.orElseThrow().runnable()).isZero();
    // Short of slots and of WAL senders: as many run as have both.
    var both = new ReplicationCapacity(3, 2, Set.of(), 4, 3).shortfall(wanted(3), RAISE);
    assertThat(both.orElseThrow().reason()).isEqualTo(ReplicationCapacity.SLOTS_EXHAUSTED);
    assertThat(both.orElseThrow().runnable()).isEqualTo(1);
  }
}
