package io.pgtrickle.cdc.it;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pgtrickle.cdc.config.CdcConfig;
import io.pgtrickle.cdc.config.ConfigParser;
import io.pgtrickle.cdc.pipeline.CdcConsumer;
import io.pgtrickle.cdc.pipeline.CdcMetrics;
import io.pgtrickle.cdc.pipeline.ConsumerState;
import io.pgtrickle.changelog.ChangeEvent;
import io.pgtrickle.changelog.ChangeLogBackend;
import io.pgtrickle.changelog.Lsn;
import io.pgtrickle.changelog.support.ServerProcess;
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
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.LongConsumer;

/** Runs consumers in this JVM (a thread) or as child JVMs, and reads what they published. */
public final class Consumers {

  private Consumers() {}

  /** The settings a test consumer gets, as environment variables. */
  public static Map<String, String> env(
      SourceDb source, String tables, String slot, String changeLogUri) {
    Map<String, String> env = new HashMap<>();
    env.put("PGTRICKLE_SOURCE_URL", source.jdbcUrl());
    env.put("PGTRICKLE_TABLES", tables);
    env.put("PGTRICKLE_SLOT", slot);
    env.put("PGTRICKLE_CHANGELOG_URI", changeLogUri);
    env.put("PGTRICKLE_HTTP_PORT", "0");
    env.put("PGTRICKLE_RECONNECT_MIN_MS", "50");
    env.put("PGTRICKLE_RECONNECT_MAX_MS", "500");
    env.put("PGTRICKLE_STATUS_INTERVAL_MS", "200");
    return env;
  }

  /** A consumer running on a thread of this JVM. */
  public static final class InProcess implements AutoCloseable {
    public final CdcConsumer consumer;
    public final ConsumerState state = new ConsumerState();
    public final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final Thread thread;

    public InProcess(Map<String, String> env, ChangeLogBackend log, LongConsumer lagMicros) {
      CdcConfig config = ConfigParser.parse(env, List.of());
      consumer = new CdcConsumer(config, log, state, new CdcMetrics(registry, state), lagMicros);
      thread = new Thread(consumer::run, "test-consumer");
      thread.start();
    }

    /** The value of a counter of this consumer's metrics (0 if it was never incremented). */
    public double counter(String name) {
      return registry.counter(name).count();
    }

    /** The longest time a timer of this consumer's metrics recorded, in ms (0 if none). */
    public double timerMaxMillis(String name) {
      return registry.timer(name).max(java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
      consumer.stop();
      try {
        thread.join(30_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      consumer.close();
    }
  }

  /** Starts {@code CdcConsumerMain} in a child JVM with the given settings. */
  public static Process child(Map<String, String> env, Path log, String... args) {
    return child(List.of(), env, log, args);
  }

  /** Starts {@code CdcConsumerMain} in a child JVM with more JVM options and the given settings. */
  public static Process child(
      List<String> jvmOptions, Map<String, String> env, Path log, String... args) {
    List<String> command = new ArrayList<>();
    command.add(ServerProcess.javaExecutable());
    command.addAll(jvmOptions);
    command.add("-Xmx256m");
    command.add("-XX:TieredStopAtLevel=1"); // starts faster; the tests kill it often
    command.add("-cp");
    command.add(ServerProcess.testClassPath());
    command.add("io.pgtrickle.cdc.CdcConsumerMain");
    command.addAll(List.of(args));
    ProcessBuilder pb =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    pb.environment().putAll(env);
    try {
      return pb.start();
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Waits for a condition, polling every 20 ms; fails with {@code what} after the timeout. */
  public static void await(String what, Duration timeout, BooleanSupplier condition) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out after " + timeout + " waiting for " + what);
      }
      ServerProcess.sleep(20);
    }
  }

  /** GET on localhost; the status code, or -1 if nothing answers. */
  public static int httpStatus(int port, String path) {
    return (int) http(port, path)[0];
  }

  /** GET on localhost: {status, body}. */
  public static Object[] http(int port, String path) {
    try {
      HttpResponse<String> r =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                      .timeout(Duration.ofSeconds(2))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      return new Object[] {r.statusCode(), r.body()};
    } catch (Exception e) {
      return new Object[] {-1, ""};
    }
  }

  /** Reads every event of a source from the change log (as this backend's consumer). */
  public static List<ChangeEvent> readAll(ChangeLogBackend log, long source) {
    List<ChangeEvent> out = new ArrayList<>();
    while (true) {
      List<ChangeEvent> batch = await(log.consume(source, Lsn.ZERO));
      if (batch.isEmpty()) {
        return out;
      }
      out.addAll(batch);
    }
  }

  /**
   * A source's events after the GAP event that opens its log (published when the slot was created:
   * the change log holds nothing of the source before it); fails if the first event is another.
   */
  public static List<ChangeEvent> afterStartGap(List<ChangeEvent> events) {
    if (events.isEmpty()) {
      return events;
    }
    if (events.get(0).action() != io.pgtrickle.changelog.ChangeAction.GAP) {
      throw new AssertionError("the source's log does not open with a GAP event: " + events.get(0));
    }
    return events.subList(1, events.size());
  }

  public static <T> T await(java.util.concurrent.CompletionStage<T> stage) {
    try {
      return stage.toCompletableFuture().get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
