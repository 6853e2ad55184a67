package io.pgtrickle.operator.streams.changelog;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.operator.streams.changelog.ReplicaShortfall.Partition;
import io.pgtrickle.operator.streams.changelog.ReplicaShortfall.Peer;
import io.pgtrickle.operator.streams.changelog.ReplicaShortfall.Stream;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReplicaShortfallTest {

  private static Partition partition(
      int n, List<Integer> replicas, List<Integer> inSync, List<Integer> adding) {
    List<Integer> removing =
        adding.isEmpty()
            ? List.of()
            : replicas.stream().filter(r -> !inSync.contains(r) && !adding.contains(r)).toList();
    return new Partition("t", n, replicas, inSync, adding, removing);
  }

  @Test
  void kafkaPartitionsWithEveryReplicaInSyncAreNotShort() {
    assertThat(
            ReplicaShortfall.kafka(
                List.of(
                    partition(0, List.of(1, 2, 3), List.of(3, 1, 2), List.of()),
                    partition(1, List.of(2), List.of(2), List.of()))))
        .isEmpty();
    assertThat(ReplicaShortfall.kafka(List.of())).isEmpty();
  }

  @Test
  void aBrokerDownLeavesItsPartitionsShortAndNamesThem() {
    assertThat(
            ReplicaShortfall.kafka(
                List.of(
                    partition(0, List.of(1, 2, 3), List.of(1, 2), List.of()),
                    partition(1, List.of(2, 3, 1), List.of(2, 3, 1), List.of()))))
        .hasValueSatisfying(
            m ->
                assertThat(m)
                    .startsWith(
                        "Kafka: 1 of 2 partitions have fewer in-sync replicas than their 3:"
                            + " t-0 in sync [1, 2] of [1, 2, 3]. The change log works")
                    .contains("spec.kafka.replicationFactor"));
  }

  @Test
  void aReassignmentStillCopyingIsShortUntilItEnds() {
    // 1 -> 3 replicas: the new brokers are listed as replicas, outside the ISR, being added.
    assertThat(
            ReplicaShortfall.kafka(
                List.of(partition(0, List.of(1, 2, 3), List.of(1), List.of(2, 3)))))
        .hasValueSatisfying(
            m ->
                assertThat(m)
                    .contains(
                        "than their 3: t-0 in sync [1] of [1, 2, 3], being copied to [2, 3]"));
    // Copied, the reassignment not yet marked complete: still reported.
    assertThat(
            ReplicaShortfall.kafka(
                List.of(partition(0, List.of(1, 2, 3), List.of(1, 2, 3), List.of(2, 3)))))
        .isPresent();
    // 3 -> 1: the removed replicas are still listed until the move ends; one in sync is enough.
    assertThat(
            ReplicaShortfall.kafka(
                List.of(
                    new Partition("t", 0, List.of(1, 2, 3), List.of(1), List.of(), List.of(2, 3)))))
        .isEmpty();
  }

  @Test
  void moreThanThreeShortPartitionsAreCounted() {
    List<Partition> down =
        List.of(0, 1, 2, 3, 4).stream()
            .map(n -> partition(n, List.of(1, 2), List.of(1), List.of()))
            .toList();
    assertThat(ReplicaShortfall.kafka(down))
        .hasValueSatisfying(
            m ->
                assertThat(m)
                    .contains("5 of 5 partitions")
                    .contains("t-2 in sync")
                    .doesNotContain("t-3")
                    .contains("; and 2 more. "));
  }

  @Test
  void natsStreamsWithEveryPeerCurrentAreNotShort() {
    assertThat(
            ReplicaShortfall.nats(
                List.of(
                    new Stream(
                        "s",
                        3,
                        "n0",
                        List.of(new Peer("n1", true, false), new Peer("n2", true, false))),
                    new Stream("KV_s-acks", 1, "n1", List.of()))))
        .isEmpty();
  }

  @Test
  void natsPeersOfflineOrCatchingUpAreNamed() {
    assertThat(
            ReplicaShortfall.nats(
                List.of(
                    new Stream(
                        "s",
                        3,
                        "n0",
                        List.of(new Peer("n1", false, false), new Peer("n2", false, true))),
                    new Stream(
                        "KV_s-acks",
                        3,
                        "n0",
                        List.of(new Peer("n1", true, false), new Peer("n2", true, false))))))
        .hasValueSatisfying(
            m ->
                assertThat(m)
                    .startsWith(
                        "NATS: stream s has 1 of 3 copies current (n1 catching up, n2 offline)."
                            + " The change log works")
                    .doesNotContain("KV_s-acks"));
    assertThat(
            ReplicaShortfall.nats(
                List.of(new Stream("s", 3, null, List.of(new Peer("n1", true, false))))))
        .hasValueSatisfying(m -> assertThat(m).contains("has 1 of 3 copies current (no leader)"));
  }

  @Test
  void aStreamOfOneReplicaHasNothingToCompare() {
    assertThat(ReplicaShortfall.nats(List.of(new Stream("s", 1, null, List.of())))).isEmpty();
  }
}
