package io.pgtrickle.operator.runtime;

import io.pgtrickle.operator.testbed.TestBed;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The packaged operator jar run as its own process, as a pod would run it. */
final class OperatorProcess implements AutoCloseable {

  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  final String identity;
  final int port;
  final Path log;
  private final Process process;

  private OperatorProcess(String identity, int port, Path log, Process process) {
    this.identity = identity;
    this.port = port;
    this.log = log;
    this.process = process;
  }

  static OperatorProcess start(TestBed testBed, String identity, Map<String, String> env)
      throws IOException {
    Path root = testBed.repositoryRootPath();
    int port = freePort();
    Path log = root.resolve("operator/target/" + identity + ".log");
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"));
    command.addAll(List.of("-jar", root.resolve("operator/target/operator.jar").toString()));
    ProcessBuilder builder =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    builder.environment().putAll(env);
    builder.environment().put("KUBECONFIG", testBed.kubeconfig().toString());
    builder.environment().put("HOSTNAME", identity);
    builder.environment().put("HTTP_PORT", String.valueOf(port));
    return new OperatorProcess(identity, port, log, builder.start());
  }

  /** GET on the operator's HTTP port: the status code and body, or -1 when it does not answer. */
  HttpResponse<String> get(String path) {
    try {
      return HTTP.send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
              .timeout(Duration.ofSeconds(5))
              .build(),
          HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  /** SIGKILL, as when a node or container dies. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor();
  }

  boolean alive() {
    return process.isAlive();
  }

  int exitCode() {
    return process.exitValue();
  }

  String output() throws IOException {
    return Files.readString(log);
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      process.destroy();
      if (!process.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) {
        kill();
      }
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
