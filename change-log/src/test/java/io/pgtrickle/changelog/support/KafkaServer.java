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
 * then {@code kafka.Kafka} with a generated server.properties.
 */
public final class KafkaServer implements AutoCloseable {

  private final Path dir;
  private final Path config;
  private final Path log;
  private final int port;
  private final int controllerPort;
  private Process process;

  private KafkaServer(Path dir) {
    this.dir = dir;
    this.config = dir.resolve("server.properties");
    this.log = dir.resolve("kafka.log");
    this.port = ServerProcess.freePort();
    this.controllerPort = ServerProcess.freePort();
  }

  public static KafkaServer start() {
    KafkaServer server = new KafkaServer(ServerProcess.targetDir("kafka"));
    server.writeConfig();
    server.format();
    server.startServer();
    return server;
  }

  private void writeConfig() {
    String text =
        String.join(
            "\n",
            "process.roles=broker,controller",
            "node.id=1",
            "controller.quorum.voters=1@127.0.0.1:" + controllerPort,
            "listeners=PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort,
            "advertised.listeners=PLAINTEXT://127.0.0.1:" + port,
            "controller.listener.names=CONTROLLER",
            "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "inter.broker.listener.name=PLAINTEXT",
            "log.dirs=" + dir.resolve("data"),
            "num.partitions=1",
            "auto.create.topics.enable=false",
            "offsets.topic.replication.factor=1",
            "offsets.topic.num.partitions=1",
            "transaction.state.log.replication.factor=1",
            "transaction.state.log.min.isr=1",
            "share.coordinator.state.topic.replication.factor=1",
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
    c.addAll(List.of("-Xms256m", "-Xmx1g", "-XX:+UseG1GC", "-Djava.awt.headless=true"));
    c.addAll(List.of("-cp", ServerProcess.testClassPath(), mainClass));
    c.addAll(List.of(args));
    return c;
  }

  private void format() {
    ServerProcess.run(
        java(
            "kafka.tools.StorageTool",
            "format",
            "-t",
            Uuid.randomUuid().toString(),
            "-c",
            config.toString()),
        120);
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

  /** Stops (SIGTERM, controlled shutdown) and starts the broker on the same data. */
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

  /** Stops the server and deletes its data, keeping its log (see PostgresServer#close). */
  @Override
  public void close() {
    ServerProcess.stop(process, 60);
    if (!Boolean.getBoolean("it.keep.data") && !process.isAlive()) {
      ServerProcess.deleteTree(dir.resolve("data"));
    }
  }
}
