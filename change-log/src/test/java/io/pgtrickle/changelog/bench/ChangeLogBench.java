package io.pgtrickle.changelog.bench;

import io.pgtrickle.changelog.ChangeLogBackend;
import io.pgtrickle.changelog.ChangeLogBackends;
import io.pgtrickle.changelog.support.KafkaServer;
import io.pgtrickle.changelog.support.NatsServer;
import io.pgtrickle.changelog.support.PostgresServer;
import io.pgtrickle.changelog.support.ServerProcess;
import io.pgtrickle.changelog.support.Spread;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * {@code make bench-changelog}: for each backend, publish throughput and latency with 1 KB events
 * at batch sizes 1 and 100, consume throughput, and the backend's own floor on this machine. The
 * last line is machine-readable: {@code <backend>_eps} is the median publish throughput at batch
 * 100 with {@value #PUBLISHERS} concurrent publishers over the rounds, {@code <backend>_floor_eps}
 * the floor's median, {@code <backend>_ratio} the ratio of the two.
 *
 * <p>Argument: a comma-separated list of backends to run (default {@code all}: postgres, wal, nats,
 * kafka), e.g. {@code ./mvnw -f change-log/pom.xml -Pbench test-compile exec:exec
 * -Dbench.backends=wal}.
 */
public final class ChangeLogBench {

  static final int PUBLISHERS = 8;
  private static final double BATCH1_SECONDS = 2;

  /** Events per measurement at batch 100, backend and floor alike (make BENCH_EVENTS=...). */
  static final long EVENTS = Long.getLong("bench.events", 1_000_000);

  /**
   * Interleaved rounds of backend and floor (make BENCH_ROUNDS=...): even, so each goes first as
   * often.
   */
  static final int ROUNDS = Integer.getInteger("bench.rounds", 6);

  private final Map<String, String> summary = new LinkedHashMap<>();

  private ChangeLogBench() {}

  public static void main(String[] args) throws Exception {
    List<String> backends =
        args.length == 0 || args[0].equals("all")
            ? List.of("postgres", "wal", "nats", "kafka")
            : List.of(args[0].split(","));
    ChangeLogBench bench = new ChangeLogBench();
    System.out.printf(
        Locale.ROOT,
        "change-log bench %s: 1 KB events, %d publishers, %d rounds of %d events, %d cores,"
            + " load %s%n",
        Instant.now(),
        PUBLISHERS,
        ROUNDS,
        EVENTS,
        Runtime.getRuntime().availableProcessors(),
        loadAverage());
    for (String backend : backends) {
      Set<String> before = ServerProcess.serverDirs();
      try {
        switch (backend) {
          case "postgres" -> bench.postgres();
          case "wal" -> bench.wal();
          case "nats" -> bench.nats();
          case "kafka" -> bench.kafka();
          case "pglab" -> PgPublishLab.run(EVENTS, ROUNDS);
          default -> throw new IllegalArgumentException("unknown backend " + backend);
        }
      } finally {
        ServerProcess.deleteServerDirsSince(before);
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
          () -> Floors.postgres(server.port(), PUBLISHERS, 100, EVENTS),
          // A schema per round, the previous one dropped before the round: the backend starts each
          // round on empty tables, as the floor does (it drops and creates its table each time).
          // make BENCH_PG_PARAMS='&pool=4' adds URI parameters (the later of a repeated one wins).
          (consumer, round) ->
              server.uri(
                  "&schema=bench_r"
                      + round
                      + "&pool=8&batch=1000&consumer="
                      + consumer
                      + System.getProperty("bench.pgParams", "")),
          round -> dropSchema(server, "bench_r" + (round - 1)),
          () -> {
            vacuumAndCheckpoint(server);
            syncDisks();
          });
    }
  }

  private void wal() throws Exception {
    Path dir = ServerProcess.targetDir("bench-wal");
    run(
        "wal",
        () -> Floors.walFiles(dir, 100, EVENTS),
        (consumer, round) -> "file://" + dir.resolve("log") + "?batch=1000&consumer=" + consumer,
        round -> {},
        ChangeLogBench::syncDisks);
  }

  private void nats() throws Exception {
    try (NatsServer server = NatsServer.start()) {
      run(
          "nats",
          () -> Floors.nats(server.port(), PUBLISHERS, 100, EVENTS),
          (consumer, round) -> server.uri("stream=bench&batch=1000&pollMs=20&consumer=" + consumer),
          round -> {},
          ChangeLogBench::syncDisks);
    }
  }

  private void kafka() throws Exception {
    try (KafkaServer server = KafkaServer.start()) {
      run(
          "kafka",
          () -> Floors.kafka(server.bootstrap(), EVENTS),
          (consumer, round) -> server.uri("topic=bench&batch=1000&pollMs=100&consumer=" + consumer),
          round -> {},
          ChangeLogBench::syncDisks);
    }
  }

  /** The backend's URI for a consumer name in a round (1-based). */
  interface UriForConsumer {
    String uri(String consumer, int round);
  }

  /** Run before a round whose URI differs from the previous round's (outside the timing). */
  interface BeforeNewLog {
    void prepare(int round) throws Exception;
  }

  /**
   * Run before each side's measurement (outside the timing), so that neither side measures the
   * other's aftermath: a million 1 KB events leave about a gigabyte of dirty pages (and, on
   * PostgreSQL, of shared buffers and WAL for the next checkpoint, and a million-row table that
   * autovacuum then vacuums and analyzes), which fell into whichever side ran second (per-round
   * ratios of 1.75 and 1.12 with the backend first, 0.49 and 0.60 with the floor first, on
   * 2026-12-02).
   */
  interface Settle {
    void run() throws Exception;
  }

  /**
   * {@code VACUUM (ANALYZE)} of the bench's database (what autovacuum would do to the previous
   * side's table during the next side), then {@code CHECKPOINT} (its buffers and WAL written out).
   */
  private static void vacuumAndCheckpoint(PostgresServer server) throws Exception {
    try (java.sql.Connection c = java.sql.DriverManager.getConnection(server.jdbcUrl());
        java.sql.Statement s = c.createStatement()) {
      s.execute("VACUUM (ANALYZE)");
      s.execute("CHECKPOINT");
    }
  }

  /** {@code sync(1)}: every dirty page of the machine written back. */
  static void syncDisks() throws Exception {
    Process p = new ProcessBuilder("sync").inheritIO().start();
    if (!p.waitFor(5, java.util.concurrent.TimeUnit.MINUTES) || p.exitValue() != 0) {
      throw new IllegalStateException("sync failed or took over 5 minutes");
    }
  }

  private static void dropSchema(PostgresServer server, String schema) throws Exception {
    try (java.sql.Connection c = java.sql.DriverManager.getConnection(server.jdbcUrl());
        java.sql.Statement s = c.createStatement()) {
      s.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
    }
  }

  interface Floor {
    double measure() throws Exception;
  }

  /**
   * One backend: batch 1 for {@value #BATCH1_SECONDS} s (latency), then {@link #ROUNDS} rounds of
   * {@link #EVENTS} events at batch 100 from {@link #PUBLISHERS} threads and the floor with as many
   * events, alternating which goes first (odd rounds: the backend), so background load on the
   * shared machine hits both alike; then a fresh consumer reads (and acknowledges) the first
   * round's events. When {@code uri} changes from one round to the next (PostgreSQL: a schema per
   * round), the log is opened again after {@code beforeNewLog} (outside the timing), and the
   * consumer reads the last round's events. Before each side of a round, {@code settle} (outside
   * the timing). Medians with min and max; the ratio is of the medians.
   */
  private void run(
      String name, Floor floorRun, UriForConsumer uri, BeforeNewLog beforeNewLog, Settle settle)
      throws Exception {
    PublishBench.Result one;
    Spread publish = new Spread();
    Spread floor = new Spread();
    Spread pairRatio = new Spread();
    List<PublishBench.Result> results = new ArrayList<>();
    long published = 0;
    // A fresh consumer reads the first round's events afterwards; with a log per round (PostgreSQL)
    // the last round's, the only one kept.
    int consumeRound = uri.uri("reader", 1).equals(uri.uri("reader", ROUNDS)) ? 1 : ROUNDS;
    ChangeLogBackend log = ChangeLogBackends.open(uri.uri("publisher", 1));
    try {
      one = PublishBench.publishFor(log, 1, PUBLISHERS, 1, BATCH1_SECONDS);
      for (int round = 1; round <= ROUNDS; round++) {
        if (round > 1 && !uri.uri("publisher", round).equals(uri.uri("publisher", round - 1))) {
          log.close();
          beforeNewLog.prepare(round);
          log = ChangeLogBackends.open(uri.uri("publisher", round));
        }
        String load = loadAverage();
        double f = 0;
        if (round % 2 == 0) {
          settle.run();
          f = floorRun.measure();
        }
        settle.run();
        PublishBench.Result r =
            PublishBench.publishCount(log, round * 100L + 1, PUBLISHERS, 100, EVENTS);
        if (round % 2 == 1) {
          settle.run();
          f = floorRun.measure();
        }
        System.out.printf(
            Locale.ROOT,
            "%-8s round %d/%d (%s first, load %s): publish_eps=%.0f floor_eps=%.0f ratio=%.2f%n",
            name,
            round,
            ROUNDS,
            round % 2 == 1 ? "backend" : "floor",
            load,
            r.eventsPerSecond(),
            f,
            r.eventsPerSecond() / f);
        publish.add(r.eventsPerSecond());
        floor.add(f);
        pairRatio.add(r.eventsPerSecond() / f);
        results.add(r);
        if (round == consumeRound) {
          published = r.events();
        }
      }
    } finally {
      log.close();
    }
    double consume =
        PublishBench.consume(
            () -> ChangeLogBackends.open(uri.uri("reader", consumeRound)),
            consumeRound * 100L + 1,
            PUBLISHERS,
            published);
    print(name, 1, one, Double.NaN);
    results.sort(Comparator.comparingDouble(PublishBench.Result::eventsPerSecond));
    print(name, 100, results.get(results.size() / 2), consume);
    System.out.printf(
        Locale.ROOT,
        "%-8s batch=100 publish_eps %s, floor_eps %s, ratio of medians %.2f, per-round ratios %s%n",
        name,
        publish.describe("%.0f"),
        floor.describe("%.0f"),
        publish.median() / floor.median(),
        pairRatio.describe("%.2f"));
    summary.put(name + "_eps", String.format(Locale.ROOT, "%.0f", publish.median()));
    summary.put(name + "_floor_eps", String.format(Locale.ROOT, "%.0f", floor.median()));
    summary.put(
        name + "_ratio", String.format(Locale.ROOT, "%.2f", publish.median() / floor.median()));
    summary.put(name + "_eps_min", String.format(Locale.ROOT, "%.0f", publish.min()));
    summary.put(name + "_eps_max", String.format(Locale.ROOT, "%.0f", publish.max()));
    summary.put(name + "_floor_eps_min", String.format(Locale.ROOT, "%.0f", floor.min()));
    summary.put(name + "_floor_eps_max", String.format(Locale.ROOT, "%.0f", floor.max()));
    summary.put(name + "_consume_eps", String.format(Locale.ROOT, "%.0f", consume));
  }

  /** The 1-minute load average, as {@code uptime} prints it first. */
  static String loadAverage() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
    } catch (Exception e) {
      return "?";
    }
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
