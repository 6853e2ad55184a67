package io.pgtrickle.testbed;

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

/**
 * The packaged operator ({@code operator/target/operator.jar} with its {@code lib/}, built by
 * {@code ./mvnw -pl operator -am package}) run as its own process against the test bed, as a pod
 * would run it: configured only by its environment (e.g. {@code WATCH_NAMESPACES}), logging to
 * {@link #log}.
 */
public final class OperatorProcess implements AutoCloseable {

  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  public final String identity;
  public final int port;
  public final Path log;
  private final Process process;

  private OperatorProcess(String identity, int port, Path log, Process process) {
    this.identity = identity;
    this.port = port;
    this.log = log;
    this.process = process;
  }

  /**
   * Starts the operator.
   *
   * @param identity its HOSTNAME (the leader election identity) and the name of its log
   * @param env more environment, e.g. {@code WATCH_NAMESPACES}
   * @throws IOException when the jar is missing or cannot start
   */
  public static OperatorProcess start(TestBed testBed, String identity, Map<String, String> env)
      throws IOException {
    Path root = testBed.repositoryRootPath();
    Path jar = root.resolve("operator/target/operator.jar");
    if (!Files.isRegularFile(jar)) {
      throw new IOException(jar + " is missing: build it with ./mvnw -pl operator -am package");
    }
    int port = freePort();
    Path log = root.resolve("target/testbed/operators/" + identity + ".log");
    Files.createDirectories(log.getParent());
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"));
    command.addAll(List.of("-jar", jar.toString()));
    ProcessBuilder builder =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    builder.environment().putAll(env);
    builder.environment().put("KUBECONFIG", testBed.kubeconfig().toString());
    builder.environment().put("HOSTNAME", identity);
    builder.environment().put("HTTP_PORT", String.valueOf(port));
    return new OperatorProcess(identity, port, log, builder.start());
  }

  /** GET on the operator's HTTP port: the status code and body, or -1 when it does not answer. */
  public HttpResponse<String> get(String path) {
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
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor();
  }

  public boolean alive() {
    return process.isAlive();
  }

  public int exitCode() {
    return process.exitValue();
  }

  public String output() throws IOException {
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
