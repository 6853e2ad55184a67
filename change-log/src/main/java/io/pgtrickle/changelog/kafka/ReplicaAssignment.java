package io.pgtrickle.changelog.kafka;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The new replica lists of a topic's partitions when its replication factor changes: what {@code
 * kafka-reassign-partitions.sh --generate} would propose, kept minimal so that as little data as
 * possible moves.
 *
 * <p>A partition that has more replicas than asked keeps the first of its list (its preferred
 * leader) and drops, one at a time, the follower on the broker holding the most replicas of the
 * topic at that point (ties: the last in the list). One that has fewer keeps all of them and gets,
 * one at a time, the broker holding the fewest replicas of the topic so far that it does not have
 * yet (ties: the lowest node id), so the new copies spread evenly. A partition already at the asked
 * count is left out.
 */
final class ReplicaAssignment {

  private ReplicaAssignment() {}

  /**
   * @param current each partition's replica list, as {@code describeTopics} gives it
   * @param brokers the node ids of the cluster's brokers
   * @param replicationFactor the number of replicas asked, 1 to {@code brokers.size()}
   * @return the partitions to reassign and their new replica lists (empty when none differ)
   * @throws IllegalArgumentException if more replicas are asked than there are brokers
   */
  static Map<Integer, List<Integer>> reassign(
      Map<Integer, List<Integer>> current, List<Integer> brokers, int replicationFactor) {
    if (replicationFactor < 1 || replicationFactor > brokers.size()) {
      throw new IllegalArgumentException(
          replicationFactor + " replicas asked of a cluster of " + brokers.size() + " brokers");
    }
    Map<Integer, Integer> load = new HashMap<>();
    brokers.forEach(b -> load.put(b, 0));
    current.values().forEach(r -> r.forEach(b -> load.merge(b, 1, Integer::sum)));
    Map<Integer, List<Integer>> kept = new TreeMap<>();
    current.forEach(
        (partition, replicas) -> {
          List<Integer> keep = new ArrayList<>(replicas);
          while (keep.size() > replicationFactor) {
            // Drop a follower on the busiest broker (ties: the last in the list).
            int drop = keep.size() - 1;
            for (int i = keep.size() - 1; i >= 1; i--) {
              if (load.get(keep.get(i)) > load.get(keep.get(drop))) {
                drop = i;
              }
            }
            load.merge(keep.remove(drop), -1, Integer::sum);
          }
          kept.put(partition, keep);
        });
    Map<Integer, List<Integer>> changed = new TreeMap<>();
    kept.forEach(
        (partition, replicas) -> {
          while (replicas.size() < replicationFactor) {
            int next =
                brokers.stream()
                    .filter(b -> !replicas.contains(b))
                    .min(
                        (a, b) ->
                            load.get(a).equals(load.get(b))
                                ? Integer.compare(a, b)
                                : Integer.compare(load.get(a), load.get(b)))
                    .orElseThrow();
            replicas.add(next);
            load.merge(next, 1, Integer::sum);
          }
          if (!replicas.equals(current.get(partition))) {
            changed.put(partition, List.copyOf(replicas));
          }
        });
    return changed;
  }
}
