package io.pgtrickle.changelog.support;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code nats-server -js} on a free port with its store in target/: alone ({@link #start}), or one
 * of a JetStream cluster ({@link #cluster}).
 */
public final class NatsServer implements AutoCloseable {

  private final String binary;
  private final Path store;
  private final Path log;
  private final int port;
  private final List<String> clustering;
  private Process process;

  private NatsServer(String binary, Path dir, int port, List<String> clustering) {
    this.binary = binary;
    this.store = dir.resolve("store");
    this.log = dir.resolve("nats.log");
    this.port = port;
    this.clustering = clustering;
  }

  public static NatsServer start() {
    NatsServer server =
        new NatsServer(
            binary(), ServerProcess.targetDir("nats"), ServerProcess.freePort(), List.of());
    server.startServer();
    return server;
  }

  /**
   * A JetStream cluster of {@code size} servers on loopback, routed to each other (cluster name
   * {@code pgtrickle-test}), each with its own store; returned once each listens for clients.
   * JetStream elects its meta leader shortly after: a client's first stream request may wait for
   * it.
   */
  public static List<NatsServer> cluster(int size) {
    String binary = binary();
    Path dir = ServerProcess.targetDir("nats-cluster");
    List<Integer> routes = new java.util.ArrayList<>();
    for (int i = 0; i < size; i++) {
      routes.add(ServerProcess.freePort());
    }
    String routeUrls = String.join(",", routes.stream().map(p -> "nats://127.0.0.1:" + p).toList());
    List<NatsServer> servers = new java.util.ArrayList<>();
    for (int i = 0; i < size; i++) {
      servers.add(
          new NatsServer(
              binary,
              dir.resolve("n" + i),
              ServerProcess.freePort(),
              List.of(
                  "--name",
                  "n" + i,
                  "--cluster_name",
                  "pgtrickle-test",
                  "--cluster",
                  "nats://127.0.0.1:" + routes.get(i),
                  "--routes",
                  routeUrls)));
    }
    for (NatsServer server : servers) {
      server.process = ServerProcess.start(server.command(), server.log);
    }
    for (NatsServer server : servers) {
      ServerProcess.awaitPort("nats-server", server.process, server.port, server.log, 30);
    }
    return servers;
  }

  private static String binary() {
    String binary = System.getenv().getOrDefault("NATS_SERVER", "nats-server");
    if (!binary.contains("/")) {
      binary =
          List.of("/usr/sbin/", "/usr/bin/", "/usr/local/bin/").stream()
              .map(d -> d + "nats-server")
              .filter(p -> Files.isExecutable(Path.of(p)))
              .findFirst()
              .orElseThrow(
                  () ->
                      new IllegalStateException(
                          "nats-server not found (run hack/install-deps.sh nats)"));
    }
    return binary;
  }

  private List<String> command() {
    List<String> command =
        new java.util.ArrayList<>(
            List.of(
                binary,
                "-js",
                "-a",
                "127.0.0.1",
                "-p",
                String.valueOf(port),
                "-sd",
                store.toString()));
    command.addAll(clustering);
    return command;
  }

  private void startServer() {
    process = ServerProcess.start(command(), log);
    ServerProcess.awaitPort("nats-server", process, port, log, 30);
  }

  /** Stops the server (SIGTERM), keeping its store for {@link #restart}. */
  public void stop() {
    ServerProcess.stop(process, 30);
  }

  /**
   * Stops (SIGTERM) and starts the server on the same store and port; a server {@link #stop
   * stopped} before is started.
   */
  public void restart() {
    ServerProcess.stop(process, 30);
    startServer();
  }

  public int port() {
    return port;
  }

  public String uri(String params) {
    return "nats://127.0.0.1:" + port + "?" + params;
  }

  /** Stops the server and deletes its data, keeping its log (see PostgresServer#close). */
  @Override
  public void close() {
    ServerProcess.stop(process, 30);
    if (!Boolean.getBoolean("it.keep.data") && !process.isAlive()) {
      ServerProcess.deleteTree(store);
    }
  }
}
