package io.pgtrickle.operator.streams.changelog;

import io.nats.client.Connection;
import io.nats.client.JetStreamManagement;
import io.nats.client.api.ClusterInfo;
import io.nats.client.api.StreamInfo;
import io.pgtrickle.operator.streams.spec.ChangeLogTarget;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.PartitionReassignment;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads how many copies of a change log the servers hold in sync (Kafka's in-sync replicas and
 * running reassignments, JetStream's stream peers) and says, through {@link ReplicaShortfall},
 * which are short. PostgreSQL tables keep no copies of their own here (the database's replicas are
 * the PostgresCluster's).
 */
final class ChangeLogReplicas {

  private static final Logger LOG = LoggerFactory.getLogger(ChangeLogReplicas.class);

  private ChangeLogReplicas() {}

  /**
   * @param target the change log, just opened (so its servers answer)
   * @return what is short, for the {@code ChangeLogReady} condition; empty when nothing is or it
   *     could not be read (logged: a change log that was just opened is not reported as short on a
   *     failed second look)
   */
  static Optional<String> shortfall(ChangeLogTarget target) {
    try {
      return switch (target.backend()) {
        case KAFKA -> ReplicaShortfall.kafka(kafkaPartitions(target));
        case NATS -> ReplicaShortfall.nats(natsStreams(target));
        case POSTGRES, WAL -> Optional.empty();
      };
    } catch (Exception e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      LOG.warn("cannot read the copies of {}: {}", target.describe(), e.toString());
      return Optional.empty();
    }
  }

  private static List<ReplicaShortfall.Partition> kafkaPartitions(ChangeLogTarget target)
      throws Exception {
    try (Admin admin = ChangeLogLifecycle.kafkaAdmin(target)) {
      Map<String, TopicDescription> topics =
          admin
              .describeTopics(List.of(target.topic(), target.positionsTopic()))
              .allTopicNames()
              .get(15, TimeUnit.SECONDS);
      Map<TopicPartition, PartitionReassignment> moving =
          admin.listPartitionReassignments().reassignments().get(15, TimeUnit.SECONDS);
      List<ReplicaShortfall.Partition> partitions = new ArrayList<>();
      for (TopicDescription t : topics.values()) {
        t.partitions()
            .forEach(
                info -> {
                  PartitionReassignment move =
                      moving.get(new TopicPartition(t.name(), info.partition()));
                  partitions.add(
                      new ReplicaShortfall.Partition(
                          t.name(),
                          info.partition(),
                          info.replicas().stream().map(Node::id).toList(),
                          info.isr().stream().map(Node::id).toList(),
                          move == null ? List.of() : move.addingReplicas(),
                          move == null ? List.of() : move.removingReplicas()));
                });
      }
      return partitions;
    }
  }

  private static List<ReplicaShortfall.Stream> natsStreams(ChangeLogTarget target)
      throws Exception {
    try (Connection nats = ChangeLogLifecycle.connectNats(target)) {
      JetStreamManagement jsm = nats.jetStreamManagement();
      List<ReplicaShortfall.Stream> streams = new ArrayList<>();
      for (String name : List.of(target.stream(), "KV_" + target.acksBucket())) {
        StreamInfo info = jsm.getStreamInfo(name);
        ClusterInfo cluster = info.getClusterInfo();
        if (cluster == null) {
          continue; // a server outside a cluster: one copy, nothing to compare
        }
        List<ReplicaShortfall.Peer> peers =
            cluster.getReplicas() == null
                ? List.of()
                : cluster.getReplicas().stream()
                    .map(r -> new ReplicaShortfall.Peer(r.getName(), r.isCurrent(), r.isOffline()))
                    .toList();
        streams.add(
            new ReplicaShortfall.Stream(
                name, info.getConfiguration().getReplicas(), cluster.getLeader(), peers));
      }
      return streams;
    }
  }
}
