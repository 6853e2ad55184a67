package io.pgtrickle.changelog.support;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;

/**
 * A single-node KRaft Kafka broker (combined broker and controller) started from the Maven Central
 * jars on the test class path, in its own JVM: storage formatted first with the KRaft storage tool,
 * then {@code kafka.Kafka} with a generated server.properties. {@link #cluster} starts several,
 * each a broker and a voter of one controller quorum.
 */
public final class KafkaServer implements AutoCloseable {

  private final Path dir;
  private final Path config;
  private final Path log;
  private final int port;
  private final int controllerPort;
  private final int nodeId;
  private final String heap;
  private Process process;

  private KafkaServer(Path dir, int nodeId, String heap) {
    this.dir = dir;
    this.config = dir.resolve("server.properties");
    this.log = dir.resolve("kafka.log");
    this.port = ServerProcess.freePort();
    this.controllerPort = ServerProcess.freePort();
    this.nodeId = nodeId;
    this.heap = heap;
  }

  public static KafkaServer start() {
    KafkaServer server = new KafkaServer(ServerProcess.targetDir("kafka"), 1, "1g");
    server.writeConfig(server.voter(), 1);
    server.format(Uuid.randomUuid().toString());
    server.startServer();
    return server;
  }

  /**
   * Starts {@code size} brokers that are also the voters of one KRaft controller quorum (node ids 1
   * to size, 512 MB of heap each), and waits until every one answers.
   *
   * @param size the number of brokers, at least 2
   * @return the brokers, node id 1 first
   */
  public static List<KafkaServer> cluster(int size) {
    List<KafkaServer> nodes = new ArrayList<>();
    for (int i = 1; i <= size; i++) {
      nodes.add(new KafkaServer(ServerProcess.targetDir("kafka-" + i), i, "512m"));
    }
    String voters = String.join(",", nodes.stream().map(KafkaServer::voter).toList());
    String clusterId = Uuid.randomUuid().toString();
    for (KafkaServer n : nodes) {
      n.writeConfig(voters, Math.min(size, 3));
      n.format(clusterId);
    }
    // A voter waits for a majority of the quorum: start them all, then wait for each.
    for (KafkaServer n : nodes) {
      n.process = ServerProcess.start(n.java("kafka.Kafka", n.config.toString()), n.log);
    }
    for (KafkaServer n : nodes) {
      ServerProcess.awaitPort("kafka broker " + n.nodeId, n.process, n.port, n.log, 180);
      n.awaitReady();
    }
    return nodes;
  }

  private String voter() {
    return nodeId + "@127.0.0.1:" + controllerPort;
  }

  /** This broker's node id, as Kafka's metadata names it in a partition's replicas. */
  public int nodeId() {
    return nodeId;
  }

  private void writeConfig(String voters, int internalReplicas) {
    String text =
        String.join(
            "\n",
            "process.roles=broker,controller",
            "node.id=" + nodeId,
            "controller.quorum.voters=" + voters,
            "listeners=PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort,
            "advertised.listeners=PLAINTEXT://127.0.0.1:" + port,
            "controller.listener.names=CONTROLLER",
            "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "inter.broker.listener.name=PLAINTEXT",
            "log.dirs=" + dir.resolve("data"),
            "num.partitions=1",
            "auto.create.topics.enable=false",
            "offsets.topic.replication.factor=" + internalReplicas,
            "offsets.topic.num.partitions=1",
            "transaction.state.log.replication.factor=" + internalReplicas,
            "transaction.state.log.min.isr=1",
            "share.coordinator.state.topic.replication.factor=" + internalReplicas,
            "share.coordinator.state.topic.min.isr=1",
            "group.initial.rebalance.delay.ms=0",
            "log.cleaner.backoff.ms=1000",
            "");
    try {
      Files.writeString(config, text);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private List<String> java(String mainClass, String... args) {
    List<String> c = new ArrayList<>();
    c.add(ServerProcess.javaExecutable());
    c.addAll(List.of("-Xms256m", "-Xmx" + heap, "-XX:+UseG1GC", "-Djava.awt.headless=true"));
    c.addAll(List.of("-cp", ServerProcess.testClassPath(), mainClass));
    c.addAll(List.of(args));
    return c;
  }

  private void format(String clusterId) {
    ServerProcess.run(
        java("kafka.tools.StorageTool", "format", "-t", clusterId, "-c", config.toString()), 120);
  }

  private void startServer() {
    process = ServerProcess.start(java("kafka.Kafka", config.toString()), log);
    ServerProcess.awaitPort("kafka broker", process, port, log, 180);
    awaitReady();
  }

  /**
   * The port opens before the broker has joined the quorum; wait until it answers. Both waits are
   * 180 s: on a 2-core machine under a full build the broker took more than 90 s to listen.
   */
  private void awaitReady() {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + port);
    p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000");
    p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "5000");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
    try (Admin admin = Admin.create(p)) {
      while (true) {
        try {
          admin.describeCluster().nodes().get(5, TimeUnit.SECONDS);
          admin.listTopics().names().get(5, TimeUnit.SECONDS);
          return;
        } catch (Exception notYet) {
          if (System.nanoTime() > deadline || !process.isAlive()) {
            throw new IllegalStateException(
                "kafka broker is not ready on " + port + ": " + ServerProcess.tail(log), notYet);
          }
          ServerProcess.sleep(200);
        }
      }
    }
  }

  /** Stops the broker (SIGTERM, controlled shutdown), keeping its data for {@link #restart}. */
  public void stop() {
    ServerProcess.stop(process, 60);
  }

  /**
   * Stops (SIGTERM, controlled shutdown) and starts the broker on the same data; a broker {@link
   * #stop stopped} before is started.
   */
  public void restart() {
    ServerProcess.stop(process, 60);
    startServer();
  }

  public String bootstrap() {
    return "127.0.0.1:" + port;
  }

  public String uri(String params) {
    return "kafka://127.0.0.1:" + port + "?" + params;
  }

  /** Whether its process runs. */
  public boolean running() {
    return process != null && process.isAlive();
  }

  /**
   * Stops the brokers of a {@link #cluster} together: one by one, the last ones would wait for a
   * controller quorum that has gone.
   */
  public static void closeAll(List<KafkaServer> nodes) {
    nodes.stream().filter(KafkaServer::running).forEach(n -> n.process.destroy());
    for (KafkaServer n : nodes) {
      ServerProcess.stop(n.process, 20);
      n.close();
    }
  }

  /** Stops the server and deletes its data, keeping its log (see PostgresServer#close). */
  @Override
  public void close() {
    ServerProcess.stop(process, 60);
    if (!Boolean.getBoolean("it.keep.data") && !process.isAlive()) {
      ServerProcess.deleteTree(dir.resolve("data"));
    }
  }
}
