package io.pgtrickle.changelog.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class ReplicaAssignmentTest {

  @Test
  void oneToThreeSpreadsTheNewCopiesEvenly() {
    var current = Map.of(0, List.of(1), 1, List.of(2), 2, List.of(3));
    var next = ReplicaAssignment.reassign(current, List.of(1, 2, 3), 3);
    assertThat(next).containsOnlyKeys(0, 1, 2);
    next.forEach((p, r) -> assertThat(r).first().isEqualTo(current.get(p).get(0)));
    next.values().forEach(r -> assertThat(r).containsExactlyInAnyOrder(1, 2, 3));
  }

  @Test
  void threeToOneKeepsThePreferredLeader() {
    var current = Map.of(0, List.of(2, 3, 1), 1, List.of(3, 1, 2));
    assertThat(ReplicaAssignment.reassign(current, List.of(1, 2, 3), 1))
        .isEqualTo(Map.of(0, List.of(2), 1, List.of(3)));
  }

  @Test
  void shrinkingDropsTheFollowerOnTheBusiestBroker() {
    // Broker 3 holds three replicas, broker 2 two: partition 0 drops 3, not its last replica 2.
    var current = Map.of(0, List.of(1, 3, 2), 1, List.of(3, 1), 2, List.of(2, 3));
    assertThat(ReplicaAssignment.reassign(current, List.of(1, 2, 3), 2))
        .isEqualTo(Map.of(0, List.of(1, 2)));
  }

  @Test
  void partitionsAlreadyRightAreLeftOut() {
    var current = Map.of(0, List.of(1, 2), 1, List.of(3));
    assertThat(ReplicaAssignment.reassign(current, List.of(1, 2, 3), 2))
        .containsOnlyKeys(1)
        .containsEntry(1, List.of(3, 1));
  }

  @Test
  void moreReplicasThanBrokersIsRefused() {
    assertThatThrownBy(() -> ReplicaAssignment.reassign(Map.of(0, List.of(1)), List.of(1, 2), 3))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("3 replicas asked of a cluster of 2 brokers");
  }

  /**
   * Every partition ends with the asked count of distinct brokers, its preferred leader first, and
   * keeps the replicas it had (all of them when growing).
   */
  @Property(tries = 300)
  void everyPartitionGetsTheAskedCountOfDistinctBrokers(
      @ForAll @IntRange(min = 1, max = 7) int brokerCount,
      @ForAll @IntRange(min = 1, max = 20) int partitions,
      @ForAll @IntRange(min = 1, max = 7) int from,
      @ForAll @IntRange(min = 1, max = 7) int to) {
    if (from > brokerCount || to > brokerCount) {
      return;
    }
    List<Integer> brokers = java.util.stream.IntStream.rangeClosed(1, brokerCount).boxed().toList();
    Map<Integer, List<Integer>> current = new HashMap<>();
    for (int p = 0; p < partitions; p++) {
      List<Integer> r = new java.util.ArrayList<>();
      for (int i = 0; i < from; i++) {
        r.add(brokers.get((p * from + i) % brokerCount));
      }
      current.put(p, r);
    }
    var changed = ReplicaAssignment.reassign(current, brokers, to);
    for (int p = 0; p < partitions; p++) {
      List<Integer> r = changed.getOrDefault(p, current.get(p));
      assertThat(r).hasSize(to);
      assertThat(new HashSet<>(r)).hasSize(to);
      assertThat(r.get(0)).isEqualTo(current.get(p).get(0));
      assertThat(changed.containsKey(p)).isEqualTo(from != to);
    }
    // Every replica kept but the dropped ones: no data moves that need not.
    for (int p = 0; p < partitions; p++) {
      List<Integer> r = changed.getOrDefault(p, current.get(p));
      if (to >= from) {
        assertThat(r).startsWith(current.get(p).toArray(Integer[]::new));
      } else {
        assertThat(current.get(p)).containsAll(r);
      }
    }
  }
}
