package io.pgtrickle.worker.it;

import io.pgtrickle.changelog.support.ServerProcess;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

/** The pipeline's programs as child JVMs: the real cdc-consumer and the worker. */
public final class Children {

  private Children() {}

  /**
   * Settings of a cdc-consumer capturing {@code tables} ("" for none) and the catalog's tracked
   * sources into {@code changeLogUri}.
   */
  public static Map<String, String> cdcEnv(
      PipelineDb db, String tables, String slot, String changeLogUri) {
    Map<String, String> env = new HashMap<>();
    env.put("PGTRICKLE_SOURCE_URL", db.jdbcUrl());
    env.put("PGTRICKLE_TABLES", tables);
    env.put("PGTRICKLE_SLOT", slot);
    env.put("PGTRICKLE_CHANGELOG_URI", changeLogUri);
    env.put("PGTRICKLE_HTTP_PORT", "0");
    env.put("PGTRICKLE_RECONNECT_MIN_MS", "50");
    env.put("PGTRICKLE_RECONNECT_MAX_MS", "500");
    env.put("PGTRICKLE_STATUS_INTERVAL_MS", "100");
    env.put("PGTRICKLE_CATALOG_POLL_MS", "200");
    return env;
  }

  /** Settings of a worker; short intervals for tests. */
  public static Map<String, String> workerEnv(PipelineDb db, String changeLogUri, String id) {
    Map<String, String> env = new HashMap<>();
    env.put("PGTRICKLE_DATABASE_URL", db.jdbcUrl());
    env.put("PGTRICKLE_DATABASE_USER", "postgres");
    env.put("PGTRICKLE_CHANGELOG_URI", changeLogUri);
    env.put("PGTRICKLE_HTTP_PORT", String.valueOf(ServerProcess.freePort()));
    env.put("PGTRICKLE_WORKER_ID", id);
    env.put("PGTRICKLE_LEASE_MS", "3000");
    env.put("PGTRICKLE_BUFFER_CLEANUP_MS", "1000");
    env.put("PGTRICKLE_REFRESH_WAIT_MS", "20000");
    return env;
  }

  /** Starts the cdc-consumer in a child JVM. */
  public static Process cdc(Map<String, String> env, Path log) {
    return child("io.pgtrickle.cdc.CdcConsumerMain", env, log);
  }

  /** Starts a worker in a child JVM. */
  public static Process worker(Map<String, String> env, Path log) {
    return child("io.pgtrickle.worker.WorkerMain", env, log);
  }

  private static Process child(String main, Map<String, String> env, Path log) {
    List<String> command = new ArrayList<>();
    command.add(ServerProcess.javaExecutable());
    command.add("-Xmx384m");
    command.add("-XX:TieredStopAtLevel=1");
    command.add("-cp");
    command.add(ServerProcess.testClassPath());
    command.add(main);
    ProcessBuilder pb =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    pb.environment().putAll(env);
    try {
      return pb.start();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Waits for a condition, polling every 20 ms; fails naming it after the timeout. */
  public static void await(String what, Duration timeout, BooleanSupplier condition) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out after " + timeout + " waiting for " + what);
      }
      ServerProcess.sleep(20);
    }
  }

  /** GET on localhost: the status and body, or -1 if nothing answers. */
  public static HttpAnswer http(int port, String path) {
    try {
      HttpResponse<String> r =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                      .timeout(Duration.ofSeconds(3))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      return new HttpAnswer(r.statusCode(), r.body());
    } catch (Exception e) {
      return new HttpAnswer(-1, "");
    }
  }

  /** An HTTP answer. */
  public record HttpAnswer(int status, String body) {}
}
