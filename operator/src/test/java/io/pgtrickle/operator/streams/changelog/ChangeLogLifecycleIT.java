package io.pgtrickle.operator.streams.changelog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.nats.client.Connection;
import io.nats.client.Nats;
import io.nats.client.api.StreamInfo;
import io.pgtrickle.changelog.support.KafkaServer;
import io.pgtrickle.changelog.support.NatsServer;
import io.pgtrickle.operator.api.streams.CdcSpec.LogBackend;
import io.pgtrickle.operator.streams.changelog.ChangeLogLifecycle.ChangeLogException;
import io.pgtrickle.operator.streams.spec.ChangeLogTarget;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.TopicDescription;
import org.junit.jupiter.api.Test;

/**
 * The change log's lifecycle against real NATS JetStream and Kafka servers: created with the
 * configured settings, idempotently, and removed with everything kept beside it. (The
 * PostgreSQL-tables backend is covered by StreamTableClusterProvisioningIT.)
 */
class ChangeLogLifecycleIT {

  @Test
  void natsStreamAndItsBucketAreCreatedThenRemoved() throws Exception {
    try (NatsServer server = NatsServer.start()) {
      ChangeLogTarget target =
          new ChangeLogTarget(
              LogBackend.NATS,
              "nats://127.0.0.1:" + server.port(),
              "pgtrickle-ns-orders",
              1,
              null,
              null,
              null,
              0,
              null,
              0,
              null);
      ChangeLogLifecycle.ensure(target, null);
      ChangeLogLifecycle.ensure(target, null);
      try (Connection nats = Nats.connect("nats://127.0.0.1:" + server.port())) {
        StreamInfo info = nats.jetStreamManagement().getStreamInfo("pgtrickle-ns-orders");
        assertThat(info.getConfiguration().getReplicas()).isEqualTo(1);
        assertThat(nats.keyValueManagement().getBucketNames()).contains("pgtrickle-ns-orders-acks");

        ChangeLogLifecycle.remove(target, null);
        ChangeLogLifecycle.remove(target, null);
        assertThat(nats.jetStreamManagement().getStreamNames()).isEmpty();
        assertThat(nats.keyValueManagement().getBucketNames()).isEmpty();
      }
    }
  }

  /**
   * spec.nats.replicas changed: the operator's ensure changes the stream and its bucket on a
   * JetStream cluster of three servers; on a server alone, more than one is a clear error naming
   * replicas (the ChangeLogReady condition's message).
   */
  @Test
  void natsReplicasChangeOnTheExistingStreamAndBucket() throws Exception {
    List<NatsServer> cluster = NatsServer.cluster(3);
    try {
      String url = "nats://127.0.0.1:" + cluster.get(0).port();
      ensureWithRetry(nats(url, "pgtrickle-ns-scaled", 1));
      ensureWithRetry(nats(url, "pgtrickle-ns-scaled", 3));
      try (Connection nats = Nats.connect(url)) {
        assertThat(
                nats.jetStreamManagement()
                    .getStreamInfo("pgtrickle-ns-scaled")
                    .getConfiguration()
                    .getReplicas())
            .isEqualTo(3);
        assertThat(nats.keyValueManagement().getStatus("pgtrickle-ns-scaled-acks").getReplicas())
            .isEqualTo(3);
      }
      // Every copy current; then a server down leaves them short, named, until it is back.
      ChangeLogTarget three = nats(url, "pgtrickle-ns-scaled", 3);
      assertThat(awaitShortfall(three, Optional::isEmpty)).isEmpty();
      cluster.get(2).stop();
      assertThat(awaitShortfall(three, Optional::isPresent))
          .hasValueSatisfying(
              m ->
                  assertThat(m)
                      .startsWith("NATS: stream ")
                      // "(no leader, n2 offline)" while the stream elects a new leader, when n2
                      // led it (seen in CI), then "(n2 offline)".
                      .contains("has 2 of 3 copies current (")
                      .contains("n2 offline)")
                      .contains("spec.nats.replicas"));
      cluster.get(2).restart();
      assertThat(awaitShortfall(three, Optional::isEmpty)).isEmpty();
    } finally {
      cluster.forEach(NatsServer::close);
    }
    try (NatsServer alone = NatsServer.start()) {
      assertThatThrownBy(
              () ->
                  ChangeLogLifecycle.ensure(
                      nats("nats://127.0.0.1:" + alone.port(), "pgtrickle-ns-alone", 2), null))
          .isInstanceOf(ChangeLogException.class)
          .hasMessageContaining("replicas")
          .hasMessageContaining("not in a cluster")
          .extracting(e -> ((ChangeLogException) e).reason())
          .isEqualTo("SettingRefused");
    }
  }

  /**
   * spec.kafka.replicationFactor changed: the operator's ensure reassigns both topics' partitions
   * on a KRaft cluster of three brokers; more than there are brokers is refused naming the setting
   * (reason SettingRefused).
   */
  @Test
  void kafkaReplicationFactorChangesOnTheExistingTopics() throws Exception {
    List<KafkaServer> cluster = KafkaServer.cluster(3);
    try {
      String servers = cluster.get(0).bootstrap() + "," + cluster.get(1).bootstrap();
      ChangeLogLifecycle.ensure(kafka(servers, 1), null);
      assertThat(kafkaReplicas(servers)).containsOnly(1);
      // The reassignment has copied the partitions (ensure waits for it): nothing is short.
      assertThat(awaitShortfall(kafka(servers, 3), Optional::isEmpty)).isEmpty();
      assertThat(kafkaReplicas(servers)).containsOnly(3);
      // A broker down leaves every partition with 2 of its 3 replicas in sync, until it is back.
      cluster.get(2).stop();
      assertThat(awaitShortfall(kafka(servers, 3), Optional::isPresent))
          .hasValueSatisfying(
              m ->
                  assertThat(m)
                      .startsWith(
                          "Kafka: 3 of 3 partitions have fewer in-sync replicas than their 3: ")
                      .contains("pgt.ns.scaled.changes-0 in sync [")
                      .contains("pgt.ns.scaled.changes.positions-0 in sync [")
                      .doesNotContain("being copied"));
      cluster.get(2).restart();
      assertThat(awaitShortfall(kafka(servers, 3), Optional::isEmpty)).isEmpty();
      // Without a replication factor in the spec, the topics stay as they are.
      ChangeLogLifecycle.ensure(kafka(servers, null), null);
      assertThat(kafkaReplicas(servers)).containsOnly(3);
      assertThatThrownBy(() -> ChangeLogLifecycle.ensure(kafka(servers, 4), null))
          .isInstanceOf(ChangeLogException.class)
          .hasMessageContaining("replicationFactor")
          .hasMessageContaining("4 asked, but the Kafka cluster")
          .extracting(e -> ((ChangeLogException) e).reason())
          .isEqualTo("SettingRefused");
    } finally {
      KafkaServer.closeAll(cluster);
    }
  }

  private static ChangeLogTarget kafka(String servers, Integer replicationFactor) {
    return new ChangeLogTarget(
        LogBackend.KAFKA,
        null,
        null,
        0,
        servers,
        "pgt.ns.scaled.changes",
        replicationFactor,
        2,
        null,
        0,
        null);
  }

  private static Set<Integer> kafkaReplicas(String servers) throws Exception {
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, servers))) {
      return admin
          .describeTopics(List.of("pgt.ns.scaled.changes", "pgt.ns.scaled.changes.positions"))
          .allTopicNames()
          .get(30, TimeUnit.SECONDS)
          .values()
          .stream()
          .flatMap(t -> t.partitions().stream())
          .map(p -> p.replicas().size())
          .collect(java.util.stream.Collectors.toSet());
    }
  }

  private static ChangeLogTarget nats(String url, String stream, int replicas) {
    return new ChangeLogTarget(
        LogBackend.NATS, url, stream, replicas, null, null, null, 0, null, 0, null);
  }

  /**
   * Ensures the change log until what it reports of its copies satisfies {@code wanted} (servers
   * notice a peer gone or back within seconds), for up to 90 s.
   */
  private static Optional<String> awaitShortfall(
      ChangeLogTarget target, Predicate<Optional<String>> wanted) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    while (true) {
      Optional<String> shortfall;
      try {
        shortfall = ChangeLogLifecycle.ensure(target, null);
      } catch (ChangeLogException e) {
        shortfall = null; // a leader being elected again
      }
      if (shortfall != null && wanted.test(shortfall)) {
        return shortfall;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("the copies were not as wanted within 90 s: " + shortfall);
      }
      Thread.sleep(500);
    }
  }

  /** The cluster elects its JetStream leader a moment after the servers listen. */
  private static void ensureWithRetry(ChangeLogTarget target) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      try {
        ChangeLogLifecycle.ensure(target, null);
        return;
      } catch (ChangeLogException e) {
        if (System.nanoTime() > deadline) {
          throw e;
        }
        Thread.sleep(500);
      }
    }
  }

  @Test
  void kafkaTopicsAreCreatedWithTheirPartitionsThenRemoved() throws Exception {
    try (KafkaServer server = KafkaServer.start()) {
      ChangeLogTarget target =
          new ChangeLogTarget(
              LogBackend.KAFKA,
              null,
              null,
              0,
              server.bootstrap(),
              "pgt.ns.orders.changes",
              1,
              3,
              null,
              0,
              null);
      ChangeLogLifecycle.ensure(target, null);
      try (Admin admin =
          Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, server.bootstrap()))) {
        Map<String, TopicDescription> topics =
            admin
                .describeTopics(Set.of("pgt.ns.orders.changes", "pgt.ns.orders.changes.positions"))
                .allTopicNames()
                .get(30, TimeUnit.SECONDS);
        assertThat(topics.get("pgt.ns.orders.changes").partitions()).hasSize(3);
        assertThat(topics.get("pgt.ns.orders.changes").partitions().get(0).replicas()).hasSize(1);

        ChangeLogLifecycle.remove(target, null);
        assertThat(admin.listTopics().names().get(30, TimeUnit.SECONDS))
            .doesNotContain("pgt.ns.orders.changes", "pgt.ns.orders.changes.positions");
      }
    }
  }

  @Test
  void anUnreachableServerIsAClearErrorWithoutCredentials() {
    ChangeLogTarget target =
        new ChangeLogTarget(
            LogBackend.NATS, "nats://127.0.0.1:1", "s", 1, null, null, null, 0, null, 0, null);
    assertThatThrownBy(() -> ChangeLogLifecycle.ensure(target, null))
        .isInstanceOf(ChangeLogException.class)
        .hasMessageStartingWith("NATS stream s at nats://127.0.0.1:1: ");
  }
}
