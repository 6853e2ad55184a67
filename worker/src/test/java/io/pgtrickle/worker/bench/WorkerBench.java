package io.pgtrickle.worker.bench;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pgtrickle.changelog.support.NatsServer;
import io.pgtrickle.changelog.support.ServerProcess;
import io.pgtrickle.worker.config.ConfigParser;
import io.pgtrickle.worker.config.WorkerConfig;
import io.pgtrickle.worker.db.Database;
import io.pgtrickle.worker.it.Children;
import io.pgtrickle.worker.it.PipelineDb;
import io.pgtrickle.worker.refresh.FullPlanner;
import io.pgtrickle.worker.refresh.Plans;
import io.pgtrickle.worker.refresh.RefreshOutcome;
import io.pgtrickle.worker.refresh.Refresher;
import io.pgtrickle.worker.runtime.CpuSampler;
import io.pgtrickle.worker.runtime.WorkerMetrics;
import io.pgtrickle.worker.runtime.WorkerState;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * {@code make bench-worker}:
 *
 * <ol>
 *   <li><b>Freshness</b>: {@value #RATE} source changes/s (two writers, transactions of 10 changes:
 *       inserts, updates, deletes) into {@code events}, read by two stream tables with schedule
 *       '1s' (an aggregate and a filter); the cdc-consumer and one worker are child JVMs, the
 *       change log is PostgreSQL tables (or NATS with {@code -Dbench.backend=nats}). Every 50 ms a
 *       marker row is committed; a poller reads the filter stream table every 2 ms; freshness =
 *       marker commit returned to marker visible, p50/p95 over {@value #MEASURE_SECONDS} s after a
 *       {@value #WARMUP_SECONDS} s warm-up.
 *   <li><b>FULL</b>: an aggregate over 1,000,000 rows (100,000 groups) refreshed FULL by the
 *       worker's refresh code (claim, snapshot, plan, frontier, history, one transaction), beside
 *       {@code REFRESH MATERIALIZED VIEW} of the same query, alternating, {@value #FULL_ROUNDS}
 *       rounds each; the medians.
 * </ol>
 *
 * The last line is machine-readable.
 */
public final class WorkerBench {

  static final int RATE = 5_000;
  static final int WARMUP_SECONDS = 5;
  static final int MEASURE_SECONDS = Integer.getInteger("bench.seconds", 20);
  static final int FULL_ROUNDS = 5;
  static final String AGG_QUERY =
      "SELECT id % 100000 AS k, count(*) AS n, sum(v) AS total, avg(v) AS mean"
          + " FROM public.big GROUP BY id % 100000";

  private WorkerBench() {}

  public static void main(String[] args) throws Exception {
    String backend = System.getProperty("bench.backend", "postgres");
    try (PipelineDb db = PipelineDb.start();
        NatsServer nats = backend.equals("nats") ? NatsServer.start() : null) {
      String log = nats != null ? nats.uri("stream=bench") : db.changeLogUri();
      double[] fresh = freshness(db, log);
      double[] full = full(db);
      System.out.printf(
          Locale.ROOT,
          "freshness at %d changes/s, schedule 1s (%s change log): p50 %.0f ms, p95 %.0f ms,"
              + " p99 %.0f ms over %.0f markers; worker's own p95 gauge %.0f ms%n",
          RATE,
          backend,
          fresh[0],
          fresh[1],
          fresh[2],
          fresh[3],
          fresh[4]);
      System.out.printf(
          Locale.ROOT,
          "FULL refresh of a 1M-row aggregate (100k groups): worker %.0f ms, REFRESH MATERIALIZED"
              + " VIEW %.0f ms, ratio %.2f (medians of %d)%n",
          full[0],
          full[1],
          full[0] / full[1],
          FULL_ROUNDS);
      System.out.printf(
          Locale.ROOT,
          "freshness_p50_ms=%.0f freshness_p95_ms=%.0f full_ms=%.0f matview_full_ms=%.0f%n",
          fresh[0],
          fresh[1],
          full[0],
          full[1]);
    }
  }

  /** {p50, p95, p99, samples, worker's p95 gauge}. */
  static double[] freshness(PipelineDb db, String log) throws Exception {
    Path dir = ServerProcess.targetDir("bench");
    db.sql(
        "CREATE TABLE public.events (id bigint PRIMARY KEY, kind text NOT NULL, grp int NOT NULL,"
            + " v int NOT NULL)",
        "CREATE SEQUENCE public.event_ids",
        "INSERT INTO public.events SELECT nextval('public.event_ids'), 'load', g % 100, g"
            + " FROM generate_series(1, 20000) g");
    db.createStreamTable(
        "st_agg",
        "SELECT grp, count(*) AS n, sum(v) AS total FROM public.events GROUP BY grp",
        "1s");
    db.createStreamTable("st_markers", "SELECT id FROM public.events WHERE kind = 'marker'", "1s");
    Process cdc = Children.cdc(Children.cdcEnv(db, "", "bench", log), dir.resolve("cdc.log"));
    Map<String, String> env = Children.workerEnv(db, log, "bench-worker");
    Process worker = Children.worker(env, dir.resolve("worker.log"));
    AtomicBoolean stop = new AtomicBoolean();
    List<Thread> threads = new ArrayList<>();
    Map<Long, Long> committed = new ConcurrentHashMap<>();
    List<Long> lags = Collections.synchronizedList(new ArrayList<>());
    AtomicLong measuringFrom = new AtomicLong(Long.MAX_VALUE);
    try {
      db.awaitCaptured();
      db.awaitPopulated(Duration.ofSeconds(120));
      for (int w = 0; w < 2; w++) {
        threads.add(start("writer-" + w, () -> write(db, stop, RATE / 2)));
      }
      threads.add(start("markers", () -> markers(db, stop, committed)));
      threads.add(start("poller", () -> poll(db, stop, committed, lags, measuringFrom)));
      ServerProcess.sleep(WARMUP_SECONDS * 1000L);
      measuringFrom.set(System.nanoTime());
      ServerProcess.sleep(MEASURE_SECONDS * 1000L);
      stop.set(true);
      for (Thread t : threads) {
        t.join(30_000);
      }
      // Where the time goes: refresh durations and the gaps between refresh starts.
      System.out.println(
          "refreshes of st_markers while measuring (ms): "
              + db.one(
                  "SELECT format('duration p50 %s p95 %s max %s; start to start p50 %s p95 %s',"
                      + " percentile_disc(0.5) WITHIN GROUP (ORDER BY d),"
                      + " percentile_disc(0.95) WITHIN GROUP (ORDER BY d), max(d),"
                      + " percentile_disc(0.5) WITHIN GROUP (ORDER BY gap),"
                      + " percentile_disc(0.95) WITHIN GROUP (ORDER BY gap))"
                      + " FROM (SELECT (extract(epoch FROM end_time - start_time) * 1000)::int d,"
                      + " (extract(epoch FROM start_time - lag(start_time) OVER (ORDER BY"
                      + " refresh_id)) * 1000)::int gap FROM pgtrickle.pgt_refresh_history"
                      + " JOIN pgtrickle.pgt_stream_tables USING (pgt_id)"
                      + " WHERE pgt_name = 'st_markers'"
                      + " AND start_time > now() - ?::int * interval '1 second') h",
                  MEASURE_SECONDS));
      int port = Integer.parseInt(env.get("PGTRICKLE_HTTP_PORT"));
      double gauge = -1;
      String metrics = Children.http(port, "/metrics").body();
      for (String line : metrics.split("\n")) {
        if (line.startsWith("pg_trickle_refresh_ingest_wait_seconds_")
            && !line.contains("bucket")) {
          System.out.println("worker: " + line);
        }
      }
      System.out.println(refreshWithoutWait(metrics));
      for (String line : metrics.split("\n")) {
        if (line.startsWith("pg_trickle_freshness_lag_ms{stream_table=\"public.st_markers\"}")) {
          gauge = Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        }
      }
      List<Long> sorted = new ArrayList<>(lags);
      Collections.sort(sorted);
      if (sorted.isEmpty()) {
        throw new IllegalStateException("no marker became visible; logs in " + dir);
      }
      return new double[] {
        pct(sorted, 0.50), pct(sorted, 0.95), pct(sorted, 0.99), sorted.size(), gauge
      };
    } finally {
      stop.set(true);
      worker.destroy();
      worker.waitFor(60, TimeUnit.SECONDS);
      ServerProcess.stop(cdc, 30);
    }
  }

  /**
   * The worker's completed refreshes without their wait for the CDC and the ingest, from its {@code
   * pg_trickle_refresh_phase_seconds}: per mode, how many and their mean ms (the sum of every phase
   * but {@code ingest_wait}, over the count of the phase every refresh has).
   */
  static String refreshWithoutWait(String metrics) {
    java.util.regex.Pattern p =
        java.util.regex.Pattern.compile(
            "pg_trickle_refresh_phase_seconds_(sum|count)\\{mode=\"([A-Z_]+)\",phase=\"([a-z_]+)\",?\\}"
                + " ([0-9.eE+-]+)");
    Map<String, double[]> modes = new java.util.TreeMap<>();
    for (String line : metrics.split("\n")) {
      java.util.regex.Matcher m = p.matcher(line);
      if (!m.matches()) {
        continue;
      }
      double[] acc = modes.computeIfAbsent(m.group(2), k -> new double[2]);
      double v = Double.parseDouble(m.group(4));
      if (m.group(1).equals("sum") && !m.group(3).equals("ingest_wait")) {
        acc[0] += v;
      } else if (m.group(1).equals("count")) {
        acc[1] = Math.max(acc[1], v);
      }
    }
    List<String> out = new ArrayList<>();
    modes.forEach(
        (mode, acc) ->
            out.add(
                String.format(
                    Locale.ROOT,
                    "%s %.0f refreshes, %.1f ms",
                    mode,
                    acc[1],
                    acc[1] == 0 ? 0 : acc[0] * 1000 / acc[1])));
    return "worker: refreshes without the ingest wait (mean): " + String.join("; ", out);
  }

  private static Thread start(String name, ThrowingRunnable r) {
    Thread t =
        new Thread(
            () -> {
              try {
                r.run();
              } catch (Exception e) {
                throw new IllegalStateException(name + " failed", e);
              }
            },
            name);
    t.start();
    return t;
  }

  private interface ThrowingRunnable {
    void run() throws Exception;
  }

  /** Transactions of 10 changes: 4 inserts, 4 updates, 2 deletes, at {@code rate} changes/s. */
  private static void write(PipelineDb db, AtomicBoolean stop, int rate) throws Exception {
    long intervalNanos = 1_000_000_000L * 10 / rate;
    java.util.Random random = new java.util.Random();
    try (Connection c = db.connect();
        PreparedStatement insert =
            c.prepareStatement(
                "INSERT INTO public.events SELECT nextval('public.event_ids'), 'load',"
                    + " (random() * 100)::int, (random() * 1000)::int FROM generate_series(1, 4)"
                    + " RETURNING id");
        PreparedStatement update =
            c.prepareStatement(
                "UPDATE public.events SET v = v + 1 WHERE id = ANY(?) AND kind = 'load'");
        PreparedStatement delete =
            c.prepareStatement(
                "DELETE FROM public.events WHERE id IN (SELECT id FROM public.events"
                    + " WHERE kind = 'load' ORDER BY id LIMIT 2)")) {
      c.setAutoCommit(false);
      long next = System.nanoTime();
      long top = 20_000;
      while (!stop.get()) {
        try (ResultSet rs = insert.executeQuery()) {
          while (rs.next()) {
            top = Math.max(top, rs.getLong(1));
          }
        }
        Long[] ids = new Long[4];
        for (int i = 0; i < ids.length; i++) {
          ids[i] = top - 1 - random.nextInt(5_000);
        }
        update.setArray(1, c.createArrayOf("bigint", ids));
        update.executeUpdate();
        delete.executeUpdate();
        c.commit();
        next += intervalNanos;
        long wait = next - System.nanoTime();
        if (wait > 0) {
          LockSupport.parkNanos(wait);
        } else if (wait < -1_000_000_000L) {
          next = System.nanoTime(); // fell behind by a second: do not burst
        }
      }
    }
  }

  private static void markers(PipelineDb db, AtomicBoolean stop, Map<Long, Long> committed)
      throws Exception {
    try (Connection c = db.connect();
        PreparedStatement ps =
            c.prepareStatement(
                "INSERT INTO public.events VALUES (nextval('public.event_ids'), 'marker', 0, 0)"
                    + " RETURNING id")) {
      while (!stop.get()) {
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          committed.put(rs.getLong(1), System.nanoTime()); // autocommit: returned = committed
        }
        Thread.sleep(50);
      }
    }
  }

  private static void poll(
      PipelineDb db,
      AtomicBoolean stop,
      Map<Long, Long> committed,
      List<Long> lags,
      AtomicLong measuringFrom)
      throws Exception {
    long seen = 0;
    try (Connection c = db.connect();
        PreparedStatement ps =
            c.prepareStatement("SELECT id FROM public.st_markers WHERE id > ? ORDER BY id")) {
      while (!stop.get()) {
        ps.setLong(1, seen);
        try (ResultSet rs = ps.executeQuery()) {
          long now = System.nanoTime();
          while (rs.next()) {
            long id = rs.getLong(1);
            seen = Math.max(seen, id);
            Long at = committed.remove(id);
            if (at != null && at >= measuringFrom.get()) {
              lags.add((now - at) / 1_000_000);
            }
          }
        }
        Thread.sleep(2);
      }
    }
  }

  /** {worker FULL median ms, REFRESH MATERIALIZED VIEW median ms}. */
  static double[] full(PipelineDb db) throws Exception {
    db.sql(
        "CREATE TABLE public.big AS SELECT g AS id, (g::bigint * 7919 % 1000)::int AS v"
            + " FROM generate_series(1, 1000000) g",
        "VACUUM ANALYZE public.big",
        "CREATE MATERIALIZED VIEW public.mv_big AS " + AGG_QUERY + " WITH NO DATA");
    long pgtId = db.createStreamTable("st_big", AGG_QUERY, "1h");
    WorkerConfig config =
        ConfigParser.parse(
            Map.of(
                "PGTRICKLE_DATABASE_URL", db.jdbcUrl(),
                "PGTRICKLE_CHANGELOG_URI", db.changeLogUri(),
                "PGTRICKLE_WORKER_ID", "bench-full"),
            List.of());
    WorkerState state = new WorkerState();
    WorkerMetrics metrics = new WorkerMetrics(new SimpleMeterRegistry(), state, new CpuSampler());
    List<Double> worker = new ArrayList<>();
    List<Double> matview = new ArrayList<>();
    try (Refresher refresher =
            new Refresher(
                new Database(config),
                "bench",
                new Plans(new FullPlanner()),
                metrics,
                Duration.ofSeconds(60),
                3);
        Connection c = db.connect();
        Statement s = c.createStatement()) {
      // Populate both once (not measured), then alternate.
      check(refresher.refresh(pgtId, true));
      s.execute("REFRESH MATERIALIZED VIEW public.mv_big");
      for (int round = 0; round < FULL_ROUNDS; round++) {
        s.execute("VACUUM public.st_big");
        long t0 = System.nanoTime();
        RefreshOutcome o = refresher.refresh(pgtId, true);
        worker.add((System.nanoTime() - t0) / 1e6);
        check(o);
        long t1 = System.nanoTime();
        s.execute("REFRESH MATERIALIZED VIEW public.mv_big");
        matview.add((System.nanoTime() - t1) / 1e6);
      }
      String diff =
          db.one(
              "SELECT (SELECT count(*) FROM (TABLE public.st_big EXCEPT ALL TABLE public.mv_big) a)"
                  + " + (SELECT count(*) FROM (TABLE public.mv_big EXCEPT ALL TABLE public.st_big) b)");
      if (!"0".equals(diff)) {
        throw new IllegalStateException("stream table and materialized view differ: " + diff);
      }
    }
    System.out.printf(Locale.ROOT, "FULL rounds: worker %s ms, matview %s ms%n", worker, matview);
    Collections.sort(worker);
    Collections.sort(matview);
    return new double[] {worker.get(FULL_ROUNDS / 2), matview.get(FULL_ROUNDS / 2)};
  }

  private static void check(RefreshOutcome o) {
    if (o.kind() != RefreshOutcome.Kind.COMPLETED || !"FULL".equals(o.action())) {
      throw new IllegalStateException("expected a FULL refresh, got " + o);
    }
  }

  private static double pct(List<Long> sorted, double p) {
    return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p * sorted.size()) - 1));
  }
}
