package io.pgtrickle.operator.streams.changelog;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Which copies of a change log are missing or behind, from what the servers report: a Kafka
 * partition with fewer in-sync replicas than it should have (a broker down, or a reassignment after
 * {@code spec.kafka.replicationFactor} changed still copying), a JetStream stream with fewer
 * current peers than its replicas (a server down, or a stream whose replicas were raised still
 * catching up). The change log works meanwhile; what is at stake is how many more servers it can
 * lose. Pure: the servers are read by {@link ChangeLogReplicas}.
 */
public final class ReplicaShortfall {

  /** At most this many partitions or streams are named in a message; the rest are counted. */
  static final int NAMED = 3;

  private ReplicaShortfall() {}

  /**
   * One Kafka partition, as {@code describeTopics} and {@code listPartitionReassignments} report
   * it.
   *
   * @param topic the topic
   * @param partition the partition number
   * @param replicas the broker ids holding a replica (during a reassignment, old and new ones)
   * @param inSync the in-sync replicas (ISR)
   * @param adding the brokers a reassignment is copying the partition to (empty when none runs)
   * @param removing the brokers a reassignment will drop the partition from (empty when none runs)
   */
  public record Partition(
      String topic,
      int partition,
      List<Integer> replicas,
      List<Integer> inSync,
      List<Integer> adding,
      List<Integer> removing) {
    public Partition {
      replicas = List.copyOf(replicas);
      inSync = List.copyOf(inSync);
      adding = List.copyOf(adding);
      removing = List.copyOf(removing);
    }

    /** The replicas the partition is meant to have: once a reassignment ends, the removed go. */
    int wanted() {
      return replicas.size() - removing.size();
    }
  }

  /**
   * One JetStream stream, as its stream info reports it.
   *
   * @param name the stream (a key-value bucket's is {@code KV_<bucket>})
   * @param replicas its configured replicas
   * @param leader the server leading it, or null when it has none
   * @param peers the other servers holding it
   */
  public record Stream(String name, int replicas, String leader, List<Peer> peers) {
    public Stream {
      peers = List.copyOf(peers);
    }

    /** The leader and the peers that are current and online. */
    int current() {
      return (leader == null ? 0 : 1)
          + (int) peers.stream().filter(p -> p.current() && !p.offline()).count();
    }
  }

  /**
   * A server holding a copy of a stream, other than its leader.
   *
   * @param name the server's name
   * @param current whether it has everything the leader has
   * @param offline whether the leader has lost it
   */
  public record Peer(String name, boolean current, boolean offline) {}

  /**
   * What Kafka lacks, for the {@code ChangeLogReady} condition.
   *
   * @param partitions the partitions of the change topic and its positions topic
   * @return empty when every partition has all its replicas in sync and none is being moved; else
   *     which are short, e.g. {@code Kafka: 1 of 3 partitions have fewer in-sync replicas than
   *     their 3: t-0 in sync [1, 2] of [1, 2, 3]; ...}
   */
  public static Optional<String> kafka(List<Partition> partitions) {
    List<Partition> short_ =
        partitions.stream()
            .filter(p -> p.inSync().size() < p.wanted() || !p.adding().isEmpty())
            .toList();
    if (short_.isEmpty()) {
      return Optional.empty();
    }
    List<String> named = new ArrayList<>();
    for (Partition p : short_.subList(0, Math.min(NAMED, short_.size()))) {
      String text =
          p.topic() + "-" + p.partition() + " in sync " + p.inSync() + " of " + p.replicas();
      if (!p.adding().isEmpty()) {
        text += ", being copied to " + p.adding();
      }
      named.add(text);
    }
    String wanted =
        short_.stream()
            .map(Partition::wanted)
            .distinct()
            .sorted()
            .map(String::valueOf)
            .collect(Collectors.joining(" or "));
    return Optional.of(
        "Kafka: "
            + short_.size()
            + " of "
            + partitions.size()
            + " partitions have fewer in-sync replicas than their "
            + wanted
            + ": "
            + String.join("; ", named)
            + more(short_.size())
            + ". The change log works; Kafka copies the partitions again by itself once the"
            + " brokers answer (a broker down, or a reassignment after a change of"
            + " spec.kafka.replicationFactor still copying), and until then it can lose fewer"
            + " brokers without losing events");
  }

  /**
   * What JetStream lacks, for the {@code ChangeLogReady} condition.
   *
   * @param streams the change stream and its acknowledgments bucket's stream
   * @return empty when each has as many current copies as its replicas (a stream of one replica has
   *     nothing to compare: it answers or not); else which do not, e.g. {@code NATS: stream s has 2
   *     of 3 copies current (n2 offline)}
   */
  public static Optional<String> nats(List<Stream> streams) {
    List<Stream> short_ =
        streams.stream().filter(s -> s.replicas() > 1 && s.current() < s.replicas()).toList();
    if (short_.isEmpty()) {
      return Optional.empty();
    }
    List<String> named = new ArrayList<>();
    for (Stream s : short_.subList(0, Math.min(NAMED, short_.size()))) {
      List<String> behind = new ArrayList<>();
      if (s.leader() == null) {
        behind.add("no leader");
      }
      for (Peer p : s.peers()) {
        if (p.offline()) {
          behind.add(p.name() + " offline");
        } else if (!p.current()) {
          behind.add(p.name() + " catching up");
        }
      }
      named.add(
          "stream "
              + s.name()
              + " has "
              + s.current()
              + " of "
              + s.replicas()
              + " copies current"
              + (behind.isEmpty() ? "" : " (" + String.join(", ", behind) + ")"));
    }
    return Optional.of(
        "NATS: "
            + String.join("; ", named)
            + more(short_.size())
            + ". The change log works; JetStream brings the copies up to date by itself once the"
            + " servers answer (a server down, or spec.nats.replicas raised and still copying),"
            + " and until then it can lose fewer servers without losing events");
  }

  private static String more(int count) {
    return count > NAMED ? "; and " + (count - NAMED) + " more" : "";
  }
}
