package io.pgtrickle.changelog.support;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** {@code nats-server -js} on a free port with its store in target/. */
public final class NatsServer implements AutoCloseable {

  private final String binary;
  private final Path store;
  private final Path log;
  private final int port;
  private Process process;

  private NatsServer(String binary, Path dir) {
    this.binary = binary;
    this.store = dir.resolve("store");
    this.log = dir.resolve("nats.log");
    this.port = ServerProcess.freePort();
  }

  public static NatsServer start() {
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
    NatsServer server = new NatsServer(binary, ServerProcess.targetDir("nats"));
    server.startServer();
    return server;
  }

  private void startServer() {
    process =
        ServerProcess.start(
            List.of(
                binary,
                "-js",
                "-a",
                "127.0.0.1",
                "-p",
                String.valueOf(port),
                "-sd",
                store.toString()),
            log);
    ServerProcess.awaitPort("nats-server", process, port, log, 30);
  }

  /** Stops (SIGTERM) and starts the server on the same store and port. */
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
