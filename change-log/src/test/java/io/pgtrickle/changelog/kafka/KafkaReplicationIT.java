package io.pgtrickle.changelog.kafka;

import static io.pgtrickle.changelog.support.TestEvents.await;
import static io.pgtrickle.changelog.support.TestEvents.drain;
import static io.pgtrickle.changelog.support.TestEvents.longs;
import static io.pgtrickle.changelog.support.TestEvents.lsns;
import static io.pgtrickle.changelog.support.TestEvents.range;
import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.changelog.ChangeLogBackend;
import io.pgtrickle.changelog.ChangeLogBackends;
import io.pgtrickle.changelog.ChangeLogConfigException;
import io.pgtrickle.changelog.Lsn;
import io.pgtrickle.changelog.support.KafkaServer;
import io.pgtrickle.changelog.support.ServerProcess;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.TopicDescription;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code replicationFactor} of existing topics changed on a KRaft cluster of three real brokers:
 * the event and positions topics are reassigned to the new count, the records and the consumer's
 * positions stay, and with three copies the change log outlives one broker.
 */
class KafkaReplicationIT {

  private static List<KafkaServer> cluster;

  @BeforeAll
  static void startCluster() {
    cluster = KafkaServer.cluster(3);
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      KafkaServer.closeAll(cluster);
    }
  }

  @Test
  void theReplicationFactorOfExistingTopicsChangesAndTheyOutliveABroker() throws Exception {
    String topic = "replication-" + System.nanoTime();
    String params = "topic=" + topic + "&partitions=3&consumer=worker&pollMs=50";
    try (ChangeLogBackend one = open(params + "&replicationFactor=1")) {
      await(one.publish(7, range(7, 1, 10)));
      assertThat(lsns(drain(one, 7, Lsn.ZERO, 10))).isEqualTo(longs(1, 10));
      await(one.acknowledge(7, Lsn.of(4)));
    }
    assertThat(replicas(topic)).containsOnly(1);

    // Opened with replicationFactor=3: both topics get three replicas on three brokers.
    try (ChangeLogBackend three = open(params + "&replicationFactor=3")) {
      assertThat(replicas(topic)).containsOnly(3);
      assertThat(lsns(drain(three, 7, Lsn.ZERO, 6))).isEqualTo(longs(5, 10));
    }
    // Opened without it, existing topics keep their count.
    open(params).close();
    assertThat(replicas(topic)).containsOnly(3);

    // One broker stops: the other two hold copies of every partition. Topics that already have
    // the asked three replicas are not refused for the broker that is down.
    cluster.get(2).close();
    try (ChangeLogBackend survivor = openWithRetry(params + "&replicationFactor=3")) {
      publishWithRetry(survivor, 7, 11, 15);
      assertThat(lsns(drain(survivor, 7, Lsn.ZERO, 11))).isEqualTo(longs(5, 15));
    }
  }

  @Test
  void moreReplicasThanBrokersAreRefusedNamingTheSetting() {
    String topic = "toomany-" + System.nanoTime();
    String params = "topic=" + topic + "&partitions=1&consumer=worker";
    try {
      ChangeLogBackends.open(uri(params + "&replicationFactor=5")).close();
      throw new AssertionError("replicationFactor=5 on a cluster of 3 brokers was accepted");
    } catch (ChangeLogConfigException e) {
      assertThat(e.setting()).isEqualTo("replicationFactor");
      assertThat(e.getMessage()).contains("5 asked, but the Kafka cluster").contains("broker(s)");
    }
  }

  /** Down to one replica again, on the brokers still running. */
  @Test
  void twoReplicasGoBackToOne() throws Exception {
    String topic = "shrink-" + System.nanoTime();
    String params = "topic=" + topic + "&partitions=2&consumer=worker&pollMs=50";
    try (ChangeLogBackend b = openWithRetry(params + "&replicationFactor=2")) {
      publishWithRetry(b, 3, 1, 5);
    }
    assertThat(replicas(topic)).containsOnly(2);
    try (ChangeLogBackend b = openWithRetry(params + "&replicationFactor=1")) {
      assertThat(replicas(topic)).containsOnly(1);
      assertThat(lsns(drain(b, 3, Lsn.ZERO, 5))).isEqualTo(longs(1, 5));
    }
  }

  private static String uri(String params) {
    return "kafka://"
        + cluster.stream().map(KafkaServer::bootstrap).collect(Collectors.joining(","))
        + "?"
        + params;
  }

  private static ChangeLogBackend open(String params) {
    return ChangeLogBackends.open(uri(params));
  }

  /** After a broker stopped, the clients take a moment to find the new partition leaders. */
  private static ChangeLogBackend openWithRetry(String params) {
    return ServerProcess.retry(90, 1000, () -> open(params));
  }

  private static void publishWithRetry(ChangeLogBackend b, long source, long from, long to) {
    ServerProcess.retry(90, 1000, () -> await(b.publish(source, range(source, from, to))));
  }

  /** The replica counts of both topics' partitions (one value when they all agree). */
  private static Set<Integer> replicas(String topic) throws Exception {
    String running =
        cluster.stream()
            .filter(KafkaServer::running)
            .map(KafkaServer::bootstrap)
            .collect(Collectors.joining(","));
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, running))) {
      Map<String, TopicDescription> d =
          admin
              .describeTopics(List.of(topic, topic + ".positions"))
              .allTopicNames()
              .get(30, TimeUnit.SECONDS);
      return d.values().stream()
          .flatMap(t -> t.partitions().stream())
          .map(p -> p.replicas().size())
          .collect(Collectors.toSet());
    }
  }
}
