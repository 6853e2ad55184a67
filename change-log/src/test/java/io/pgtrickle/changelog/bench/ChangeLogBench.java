package io.pgtrickle.changelog.bench;

import io.pgtrickle.changelog.ChangeLogBackend;
import io.pgtrickle.changelog.ChangeLogBackends;
import io.pgtrickle.changelog.support.KafkaServer;
import io.pgtrickle.changelog.support.NatsServer;
import io.pgtrickle.changelog.support.PostgresServer;
import io.pgtrickle.changelog.support.ServerProcess;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code make bench-changelog}: for each backend, publish throughput and latency with 1 KB events
 * at batch sizes 1 and 100, consume throughput, and the backend's own floor on this machine. The
 * last line is machine-readable: {@code <backend>_eps} is publish throughput at batch 100 with
 * {@value #PUBLISHERS} concurrent publishers, {@code <backend>_floor_eps} the floor.
 *
 * <p>Argument: a comma-separated list of backends to run (default {@code all}: postgres, wal, nats,
 * kafka), e.g. {@code ./mvnw -f change-log/pom.xml -Pbench test-compile exec:exec
 * -Dbench.backends=wal}.
 */
public final class ChangeLogBench {

  static final int PUBLISHERS = 8;
  private static final double BATCH100_SECONDS = 3;
  private static final double BATCH1_SECONDS = 2;
  private static final double FLOOR_SECONDS = 3;
  private static final int ROUNDS = 3;

  private final Map<String, String> summary = new LinkedHashMap<>();

  private ChangeLogBench() {}

  public static void main(String[] args) throws Exception {
    List<String> backends =
        args.length == 0 || args[0].equals("all")
            ? List.of("postgres", "wal", "nats", "kafka")
            : List.of(args[0].split(","));
    ChangeLogBench bench = new ChangeLogBench();
    System.out.printf(
        "change-log bench %s: 1 KB events, %d publishers, %d cores%n",
        Instant.now(), PUBLISHERS, Runtime.getRuntime().availableProcessors());
    for (String backend : backends) {
      switch (backend) {
        case "postgres" -> bench.postgres();
        case "wal" -> bench.wal();
        case "nats" -> bench.nats();
        case "kafka" -> bench.kafka();
        default -> throw new IllegalArgumentException("unknown backend " + backend);
      }
    }
    StringBuilder last = new StringBuilder();
    bench.summary.forEach(
        (k, v) -> last.append(last.length() == 0 ? "" : " ").append(k).append('=').append(v));
    System.out.println(last);
    System.exit(0); // kafka and nats client threads must not keep the JVM alive
  }

  private void postgres() throws Exception {
    try (PostgresServer server = PostgresServer.start()) {
      run(
          "postgres",
          () -> Floors.postgres(server.port(), PUBLISHERS, 100, FLOOR_SECONDS),
          consumer -> server.uri("&schema=bench&pool=8&batch=1000&consumer=" + consumer));
    }
  }

  private void wal() throws Exception {
    Path dir = ServerProcess.targetDir("bench-wal");
    run(
        "wal",
        () -> Floors.walFiles(dir, 100, FLOOR_SECONDS),
        consumer -> "file://" + dir.resolve("log") + "?batch=1000&consumer=" + consumer);
  }

  private void nats() throws Exception {
    try (NatsServer server = NatsServer.start()) {
      run(
          "nats",
          () -> Floors.nats(server.port(), PUBLISHERS, 100, FLOOR_SECONDS),
          consumer -> server.uri("stream=bench&batch=1000&pollMs=20&consumer=" + consumer));
    }
  }

  private void kafka() throws Exception {
    try (KafkaServer server = KafkaServer.start()) {
      run(
          "kafka",
          () -> Floors.kafka(server.bootstrap(), 400_000),
          consumer -> server.uri("topic=bench&batch=1000&pollMs=100&consumer=" + consumer));
    }
  }

  interface UriForConsumer {
    String uri(String consumer);
  }

  interface Floor {
    double measure() throws Exception;
  }

  /**
   * One backend: batch 1, then the floor and batch 100 twice, interleaved, from {@link #PUBLISHERS}
   * threads, then a fresh consumer reading everything published at batch 100. The machine is
   * shared, so each figure is the better of its two rounds: floor and backend are treated alike and
   * measured close together in time.
   */
  private void run(String name, Floor floorRun, UriForConsumer uri) throws Exception {
    PublishBench.Result one;
    PublishBench.Result hundred = null;
    double floor = 0;
    long published = 0;
    try (ChangeLogBackend log = ChangeLogBackends.open(uri.uri("publisher"))) {
      one = PublishBench.publish(log, 1, PUBLISHERS, 1, BATCH1_SECONDS);
      for (int round = 0; round < ROUNDS; round++) {
        double f = floorRun.measure();
        PublishBench.Result r =
            PublishBench.publish(log, 101 + round * 100L, PUBLISHERS, 100, BATCH100_SECONDS);
        System.out.printf(
            Locale.ROOT,
            "%-8s round %d: floor_eps=%.0f publish_eps=%.0f%n",
            name,
            round + 1,
            f,
            r.eventsPerSecond());
        floor = Math.max(floor, f);
        hundred = hundred == null || r.eventsPerSecond() > hundred.eventsPerSecond() ? r : hundred;
        if (round == 0) {
          published = r.events();
        }
      }
    }
    double consume =
        PublishBench.consume(
            () -> ChangeLogBackends.open(uri.uri("reader")), 101, PUBLISHERS, published);
    print(name, 1, one, Double.NaN);
    print(name, 100, hundred, consume);
    System.out.printf(
        Locale.ROOT,
        "%-8s floor_eps=%.0f  ratio=%.2f%n",
        name,
        floor,
        hundred.eventsPerSecond() / floor);
    summary.put(name + "_eps", String.format(Locale.ROOT, "%.0f", hundred.eventsPerSecond()));
    summary.put(name + "_floor_eps", String.format(Locale.ROOT, "%.0f", floor));
  }

  private static void print(String name, int batch, PublishBench.Result r, double consume) {
    System.out.printf(
        Locale.ROOT,
        "%-8s batch=%-3d publish_eps=%.0f p50_ms=%.2f p99_ms=%.2f%s%n",
        name,
        batch,
        r.eventsPerSecond(),
        r.p50Ms(),
        r.p99Ms(),
        Double.isNaN(consume) ? "" : String.format(Locale.ROOT, " consume_eps=%.0f", consume));
  }
}
