package io.pgtrickle.testbed;

import java.io.IOException;
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
import java.util.function.IntSupplier;

/**
 * The packaged operator ({@code operator/target/operator.jar} with its {@code lib/}, built by
 * {@code ./mvnw -pl operator -am package}) run as its own process against the test bed, as a pod
 * would run it: configured only by its environment (e.g. {@code WATCH_NAMESPACES}), logging to
 * {@link #log}.
 */
public final class OperatorProcess implements AutoCloseable {

  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  /** The line OperatorMain logs once its HTTP server is bound and the operator started. */
  private static final String STARTED = "pg-trickle operator started";

  private static final int BIND_ATTEMPTS = 5;
  private static final Duration STARTUP = Duration.ofSeconds(120);

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
   * Starts the operator and waits until it has started (its log says so) or exited. The HTTP port
   * is reserved with {@link LoopbackPorts}; should another process still have bound it before the
   * operator (a server that ignores the reservation), an operator that exits on {@code
   * BindException} is started again on another port (up to {@value #BIND_ATTEMPTS} times). An
   * operator that exits for any other reason (a refused setting, an informer that could not start)
   * is returned as it is, for the test to inspect.
   *
   * @param identity its HOSTNAME (the leader election identity) and the name of its log
   * @param env more environment, e.g. {@code WATCH_NAMESPACES}
   * @throws IOException when the jar is missing or cannot start
   */
  public static OperatorProcess start(TestBed testBed, String identity, Map<String, String> env)
      throws IOException {
    return start(testBed, identity, env, LoopbackPorts::reserve);
  }

  /**
   * {@link #start(TestBed, String, Map)} with the HTTP ports to try from {@code ports} (one call
   * per attempt), for a test of the retry.
   */
  public static OperatorProcess start(
      TestBed testBed, String identity, Map<String, String> env, IntSupplier ports)
      throws IOException {
    Path root = testBed.repositoryRootPath();
    Path jar = root.resolve("operator/target/operator.jar");
    if (!Files.isRegularFile(jar)) {
      throw new IOException(jar + " is missing: build it with ./mvnw -pl operator -am package");
    }
    Path log = root.resolve("target/testbed/operators/" + identity + ".log");
    Files.createDirectories(log.getParent());
    for (int attempt = 1; ; attempt++) {
      OperatorProcess started = launch(testBed, identity, env, jar, log, ports.getAsInt());
      if (!started.awaitStarted(STARTUP) && started.lostPort() && attempt < BIND_ATTEMPTS) {
        continue;
      }
      return started;
    }
  }

  private static OperatorProcess launch(
      TestBed testBed, String identity, Map<String, String> env, Path jar, Path log, int port)
      throws IOException {
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

  /**
   * Waits until the log has OperatorMain's start line or the process has exited.
   *
   * @return true when it started; false when it exited or {@code timeout} passed first
   */
  private boolean awaitStarted(Duration timeout) throws IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (Files.readString(log).contains(STARTED)) {
        return true;
      }
      if (!process.isAlive()) {
        return false;
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
    return false;
  }

  /** Whether the process exited because its HTTP port was taken. */
  private boolean lostPort() throws IOException {
    return !process.isAlive()
        && Files.readString(log).contains("java.net.BindException: Address already in use");
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
}
