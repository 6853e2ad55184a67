package io.pgtrickle.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Condition;
import io.pgtrickle.changelog.support.KafkaServer;
import io.pgtrickle.operator.status.Conditions;
import io.pgtrickle.operator.testbed.HaCluster;
import io.pgtrickle.testbed.ProgramPods;
import io.pgtrickle.testbed.TestNamespace;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The pipeline with the Kafka change log ({@code cdc.logBackend: kafka}) on the test bed, with a
 * KRaft cluster of three brokers on loopback: the operator creates the topics, the real CDC
 * consumer and worker keep a stream table equal to its query through Kafka; {@code
 * spec.kafka.replicationFactor} goes from 1 to 3 under writes (the operator reassigns the
 * partitions, no pod restarts, no change lost); a broker stopped leaves the change log ready but
 * short of copies ({@code ChangeLogReady} reason {@code UnderReplicated}, naming the partitions)
 * while the pipeline keeps working, and its return makes it {@code Available} again; deleting the
 * resource removes the topics.
 */
@Timeout(value = 20, unit = TimeUnit.MINUTES)
class StreamTableClusterKafkaIT {

  @RegisterExtension static final TestNamespace NAMESPACE = new TestNamespace();

  private static final String PREFIX = "shop";
  private static final List<String> TOPICS = List.of("shop.changes", "shop.changes.positions");

  private static List<KafkaServer> kafka;
  private static ProgramPods programs;
  private static HaCluster postgres;
  private static Pipeline pipeline;

  @BeforeAll
  static void start() {
    kafka = KafkaServer.cluster(3);
    programs = new ProgramPods(NAMESPACE.testBed(), NAMESPACE.name());
    postgres =
        HaCluster.start(
            NAMESPACE.testBed(),
            NAMESPACE.name(),
            "pg",
            HaCluster.testedMajor(),
            false,
            1,
            Map.of());
    pipeline = new Pipeline(NAMESPACE.client(), NAMESPACE.name(), postgres);
  }

  @AfterAll
  static void stop() {
    if (postgres != null) {
      postgres.close();
    }
    if (programs != null) {
      programs.close();
    }
    if (kafka != null) {
      KafkaServer.closeAll(kafka);
    }
  }

  @Test
  void theKafkaPipelineFollowsItsSourceAndReportsItsCopies() throws Exception {
    // Brokers 1 and 2 to bootstrap from: broker 3 is the one stopped below.
    pipeline.create(
        "  postgresql: {clusterRef: {name: pg}, database: postgres}\n"
            + "  workers: {min: 1, max: 1, autoscaler: none}\n"
            + "  cdc: {logBackend: kafka}\n"
            + "  kafka: {bootstrapServers: '"
            + kafka.get(0).bootstrap()
            + ","
            + kafka.get(1).bootstrap()
            + "', topicPrefix: "
            + PREFIX
            + ", partitions: 2, replicationFactor: 1}\n");
    pipeline.awaitRunningWithCatalog();
    assertThat(replicas()).as("the operator created both topics with one replica").containsOnly(1);
    assertThat(changeLogReady())
        .hasValueSatisfying(c -> assertThat(c.getReason()).isEqualTo("Available"));
    pipeline.createStreamTable();
    pipeline.execute(
        "INSERT INTO orders SELECT g, 'c' || (g % 7), g * 2 FROM generate_series(51, 250) g",
        "UPDATE orders SET amount = amount + 1000 WHERE id % 3 = 0",
        "DELETE FROM orders WHERE id % 4 = 0");
    pipeline.awaitEqualToRecomputation("after writes through the Kafka change log");

    // replicationFactor 1 -> 3 while changes flow: reassigned, no pod restarts, nothing lost.
    Map<String, String> pods = pipeline.podUids();
    Set<Integer> written =
        pipeline.underWrites(
            () -> {
              pipeline.edit(stc -> stc.getSpec().getKafka().setReplicationFactor(3));
              await("both topics with three replicas")
                  .atMost(Pipeline.WAIT)
                  .ignoreExceptions()
                  .until(() -> replicas().equals(Set.of(3)));
            });
    pipeline.awaitEqualToRecomputation("after the topics got three replicas under writes");
    assertThat(acknowledgedPresent(written)).isEqualTo(String.valueOf(written.size()));
    assertThat(pipeline.podUids())
        .as("no pod restarted for the replication factor")
        .isEqualTo(pods);

    // A broker down: ready, running, short of copies and saying which; the pipeline works on.
    kafka.get(2).stop();
    await("ChangeLogReady UnderReplicated")
        .atMost(Pipeline.WAIT)
        .until(
            () ->
                changeLogReady()
                    .filter(c -> "True".equals(c.getStatus()))
                    .map(Condition::getReason)
                    .orElse(""),
            "UnderReplicated"::equals);
    assertThat(changeLogReady().orElseThrow().getMessage())
        .contains("Kafka: 3 of 3 partitions have fewer in-sync replicas than their 3")
        .contains("shop.changes-0 in sync [");
    assertThat(String.valueOf(Pipeline.phase(pipeline.current()))).isEqualTo("Running");
    pipeline.execute("INSERT INTO orders SELECT nextval('order_ids'), 'one-broker-down', 7");
    pipeline.awaitEqualToRecomputation("with a broker down");

    kafka.get(2).restart();
    await("ChangeLogReady Available again")
        .atMost(Pipeline.WAIT)
        .until(() -> changeLogReady().map(Condition::getReason).orElse(""), "Available"::equals);
    assertThat(pipeline.podUids()).as("no pod restarted for the broker").isEqualTo(pods);

    pipeline.deleteAndAwaitGone();
    await("the topics removed")
        .atMost(Pipeline.WAIT)
        .ignoreExceptions()
        .until(() -> topics().stream().noneMatch(TOPICS::contains));
    assertThat(pipeline.difference()).as("the stream table left as it was").isEmpty();
  }

  private static java.util.Optional<Condition> changeLogReady() {
    var status = pipeline.current().getStatus();
    return status == null
        ? java.util.Optional.empty()
        : Conditions.find(status.getConditions(), "ChangeLogReady");
  }

  private static String acknowledgedPresent(Set<Integer> ids) {
    return pipeline.scalar(
        "SELECT count(*) FROM orders WHERE id IN ("
            + ids.stream().map(String::valueOf).collect(Collectors.joining(","))
            + ")");
  }

  private static Admin admin() {
    return Admin.create(
        Map.of(
            AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
            kafka.get(0).bootstrap(),
            AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG,
            10_000,
            AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG,
            20_000));
  }

  private static Set<Integer> replicas() throws Exception {
    try (Admin admin = admin()) {
      return admin
          .describeTopics(TOPICS)
          .allTopicNames()
          .get(30, TimeUnit.SECONDS)
          .values()
          .stream()
          .flatMap(t -> t.partitions().stream())
          .map(p -> p.replicas().size())
          .collect(Collectors.toSet());
    }
  }

  private static Set<String> topics() throws Exception {
    try (Admin admin = admin()) {
      return admin.listTopics().names().get(30, TimeUnit.SECONDS);
    }
  }
}
