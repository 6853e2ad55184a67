package io.pgtrickle.changelog.kafka;

import io.pgtrickle.changelog.ChangeLogConfigException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewPartitionReassignment;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * Checks that the brokers answer, creates the event and positions topics if missing, and, when a
 * replication factor is given, gives existing topics that many replicas (a partition reassignment,
 * as {@code kafka-reassign-partitions.sh} makes: the brokers copy the data, then drop the replicas
 * no longer listed; records and committed offsets stay).
 */
final class KafkaTopics {

  /** How long {@link #ensure} waits for a reassignment it started to finish. */
  static final long REASSIGNMENT_WAIT_MS = 30_000;

  private KafkaTopics() {}

  static void ensure(
      Properties base,
      String redactedUri,
      String topic,
      int partitions,
      Optional<Short> replication) {
    Properties p = new Properties();
    p.putAll(base);
    p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
    p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "15000");
    try (Admin admin = Admin.create(p)) {
      List<Integer> brokers;
      try {
        brokers =
            admin.describeCluster().nodes().get(15, TimeUnit.SECONDS).stream()
                .map(Node::id)
                .sorted()
                .toList();
      } catch (Exception e) {
        throw new ChangeLogConfigException(
            "uri", "cannot reach Kafka at " + redactedUri + ": " + e, e);
      }
      try {
        Set<String> existing = admin.listTopics().names().get(15, TimeUnit.SECONDS);
        String positions = topic + KafkaBackend.POSITIONS_SUFFIX;
        if (!existing.containsAll(List.of(topic, positions))) {
          requireBrokers(replication, brokers, redactedUri);
        }
        if (!existing.contains(topic)) {
          create(admin, new NewTopic(topic, Optional.of(partitions), replication));
        }
        if (!existing.contains(positions)) {
          create(
              admin,
              new NewTopic(positions, Optional.of(1), replication)
                  .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, "compact")));
        }
        // A topic created just now has the asked replicas (and may not be described yet).
        List<String> old = List.of(topic, positions).stream().filter(existing::contains).toList();
        if (replication.isPresent() && !old.isEmpty()) {
          replicate(admin, old, brokers, replication.get(), redactedUri);
        }
      } catch (ChangeLogConfigException e) {
        throw e;
      } catch (Exception e) {
        if (e instanceof InterruptedException) {
          Thread.currentThread().interrupt();
        }
        throw new ChangeLogConfigException(
            "topic", "cannot create or list topic '" + topic + "': " + e, e);
      }
    }
  }

  /**
   * Gives every partition of the topics {@code replicationFactor} replicas, and waits up to {@link
   * #REASSIGNMENT_WAIT_MS} for the brokers to finish copying (a larger topic finishes later, in the
   * background; a partition already being moved is left to that move).
   */
  private static void replicate(
      Admin admin,
      List<String> topics,
      List<Integer> brokers,
      int replicationFactor,
      String redactedUri)
      throws Exception {
    Map<String, TopicDescription> described =
        admin.describeTopics(topics).allTopicNames().get(15, TimeUnit.SECONDS);
    if (described.values().stream()
        .flatMap(d -> d.partitions().stream())
        .allMatch(info -> info.replicas().size() == replicationFactor)) {
      return; // as asked, even while a broker is down
    }
    requireBrokers(Optional.of((short) replicationFactor), brokers, redactedUri);
    Set<TopicPartition> moving =
        admin.listPartitionReassignments().reassignments().get(15, TimeUnit.SECONDS).keySet();
    Map<TopicPartition, Optional<NewPartitionReassignment>> moves = new HashMap<>();
    for (TopicDescription d : described.values()) {
      Map<Integer, List<Integer>> current = new HashMap<>();
      d.partitions()
          .forEach(
              info ->
                  current.put(info.partition(), info.replicas().stream().map(Node::id).toList()));
      ReplicaAssignment.reassign(current, brokers, replicationFactor)
          .forEach(
              (partition, replicas) -> {
                TopicPartition tp = new TopicPartition(d.name(), partition);
                if (!moving.contains(tp)) {
                  moves.put(tp, Optional.of(new NewPartitionReassignment(replicas)));
                }
              });
    }
    if (moves.isEmpty()) {
      return;
    }
    try {
      admin.alterPartitionReassignments(moves).all().get(30, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw new ChangeLogConfigException(
          "replicationFactor",
          "Kafka refused to give topics "
              + topics
              + " "
              + replicationFactor
              + " replicas: "
              + e.getCause(),
          e);
    }
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(REASSIGNMENT_WAIT_MS);
    while (System.nanoTime() < deadline
        && !admin
            .listPartitionReassignments(moves.keySet())
            .reassignments()
            .get(15, TimeUnit.SECONDS)
            .isEmpty()) {
      Thread.sleep(200);
    }
  }

  /**
   * Refuses a replication factor above the brokers that answer, naming the setting: Kafka places
   * each replica of a partition on its own broker.
   */
  private static void requireBrokers(
      Optional<Short> replication, List<Integer> brokers, String redactedUri) {
    if (replication.isPresent() && replication.get() > brokers.size()) {
      throw new ChangeLogConfigException(
          "replicationFactor",
          replication.get()
              + " asked, but the Kafka cluster at "
              + redactedUri
              + " has "
              + brokers.size()
              + " broker(s) "
              + brokers
              + " running: each replica of a partition needs its own broker");
    }
  }

  private static void create(Admin admin, NewTopic topic) throws Exception {
    try {
      admin.createTopics(List.of(topic)).all().get(30, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      if (!(e.getCause() instanceof TopicExistsException)) {
        throw e; // a concurrent opener creating it first is fine; anything else is not
      }
    }
  }
}
