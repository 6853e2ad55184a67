package io.pgtrickle.e2e.bench;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.readiness.Readiness;
import io.pgtrickle.operator.api.streams.StreamTableCluster;
import io.pgtrickle.operator.testbed.HaCluster;
import io.pgtrickle.testbed.ProgramPods;
import io.pgtrickle.testbed.TestBed;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * {@code make bench-pipeline}: the whole pipeline on the test bed, as {@code make demo} runs it: a
 * PostgresCluster of one member (real Patroni and PostgreSQL) and a StreamTableCluster on it (the
 * PostgreSQL-tables change log, one CDC consumer, {@code autoscaler: none}) with the packaged
 * cdc-consumer and worker behind its pods. One source table {@code events} takes {@value #RATE}
 * changes/s (two writers, transactions of 4 inserts, 4 updates, 2 deletes), read by 8 stream tables
 * with schedule '1s': 4 aggregates (each over a quarter of the groups) and 4 filters of marker
 * rows. Every 50 ms a marker row is committed; a poller reads the 4 marker tables; freshness =
 * marker commit returned to marker visible in its stream table, p50/p95 over {@code bench.seconds}
 * s (default {@value #DEFAULT_SECONDS}) after a {@value #WARMUP_SECONDS} s warm-up, with 1, 2 and 4
 * worker replicas in turn (the spec's {@code workers.min}). Worker CPU: each worker's {@code
 * pg_trickle_worker_cpu_percent} sampled every second while measuring, averaged, then summed over
 * the workers. The last line is machine-readable.
 */
public final class PipelineBench {

  static final int RATE = 5_000;
  static final int WARMUP_SECONDS = 10;
  static final int DEFAULT_SECONDS = 30;
  static final int TABLES_PER_KIND = 4;
  static final String NAME = "bench";
  private static final Duration WAIT = Duration.ofMinutes(5);

  private PipelineBench() {}

  public static void main(String[] args) throws Exception {
    int seconds = Integer.getInteger("bench.seconds", DEFAULT_SECONDS);
    List<Integer> sizes =
        List.of(System.getProperty("bench.workers", "1,2,4").split(",")).stream()
            .map(String::strip)
            .map(Integer::valueOf)
            .toList();
    TestBed bed = TestBed.shared();
    bed.applyGeneratedCrds();
    KubernetesClient client = bed.client();
    String ns =
        "bench-pipeline-"
            + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x1000, 0xffff));
    client.namespaces().resource(TestBed.testNamespace(ns)).create();
    Map<Integer, double[]> results = new LinkedHashMap<>();
    try (ProgramPods programs = new ProgramPods(bed, ns);
        HaCluster pg =
            HaCluster.startWithSpec(
                bed,
                ns,
                "pg",
                "  version: "
                    + HaCluster.testedMajor()
                    + "\n  replicas: 1\n  storage:\n    size: 1Gi\n"
                    + "  postgresqlParams:\n    max_connections: '200'\n"
                    // Patroni's leader lock outlives a busy API server: with the default timings
                    // (ttl 20, retry 3 s) a loaded machine made Patroni demote the only member,
                    // and every connection of the pipeline and the load was lost.
                    + "  patroni: {ttl: 60, loopWait: 5, retryTimeout: 25}\n",
                Duration.ofMinutes(5))) {
      Db db = new Db(pg);
      int max = sizes.stream().mapToInt(Integer::intValue).max().orElse(1);
      client
          .resource(
              client
                  .getKubernetesSerialization()
                  .unmarshal(
                      "apiVersion: trickle-labs.io/v1alpha1\nkind: StreamTableCluster\nmetadata:\n"
                          + "  name: "
                          + NAME
                          + "\n  namespace: "
                          + ns
                          + "\nspec:\n  postgresql: {clusterRef: {name: pg}, database: postgres}\n"
                          + "  workers: {min: "
                          + sizes.get(0)
                          + ", max: "
                          + max
                          + ", autoscaler: none}\n",
                      StreamTableCluster.class))
          .create();
      awaitWorkers(client, ns, sizes.get(0));
      Db.await(
          "the catalog installed",
          () -> db.one("SELECT to_regproc('pgtrickle.exec_stream_ddl') IS NOT NULL").equals("t"));
      setUp(db);
      for (int workers : sizes) {
        try {
          scale(client, ns, workers);
          results.put(workers, measure(client, ns, db, workers, seconds));
        } catch (RuntimeException e) {
          // One size failing (workers not ready in time) still leaves the others' figures.
          System.out.println("workers=" + workers + ": not measured: " + e.getMessage());
          results.put(workers, new double[] {Double.NaN, Double.NaN, Double.NaN, 0, 0, 0});
        }
      }
      client.resources(StreamTableCluster.class).inNamespace(ns).withName(NAME).delete();
      Db.await(
          "the pipeline deleted",
          () ->
              client.resources(StreamTableCluster.class).inNamespace(ns).withName(NAME).get()
                  == null);
    } finally {
      bed.deleteNamespace(ns);
    }
    StringBuilder last = new StringBuilder();
    StringBuilder cpu = new StringBuilder();
    results.forEach(
        (w, r) -> {
          last.append(String.format(Locale.ROOT, "freshness_p95_ms_w%d=%.0f ", w, r[1]));
          cpu.append(String.format(Locale.ROOT, "worker_cpu_percent_w%d=%.0f ", w, r[4]));
        });
    long lost = results.values().stream().mapToLong(r -> (long) r[5]).sum();
    System.out.println((last.toString() + cpu + "lost_connections=" + lost).strip());
  }

  /** Source, stream tables, populated and captured. */
  private static void setUp(Db db) throws Exception {
    db.sql(
        "CREATE TABLE public.events (id bigint PRIMARY KEY, kind text NOT NULL, grp int NOT NULL,"
            + " v int NOT NULL)",
        "CREATE SEQUENCE public.event_ids",
        "INSERT INTO public.events SELECT nextval('public.event_ids'), 'load', g % 100, g"
            + " FROM generate_series(1, 20000) g");
    for (int i = 0; i < TABLES_PER_KIND; i++) {
      db.sql(
          "SELECT pgtrickle.create_stream_table('public.st_agg_"
              + i
              + "', 'SELECT grp, count(*) AS n, sum(v) AS total FROM public.events WHERE grp % "
              + TABLES_PER_KIND
              + " = "
              + i
              + " GROUP BY grp', schedule => '1s')",
          "SELECT pgtrickle.create_stream_table('public.st_markers_"
              + i
              + "', 'SELECT id FROM public.events WHERE kind = ''marker'' AND id % "
              + TABLES_PER_KIND
              + " = "
              + i
              + "', schedule => '1s')");
    }
    Db.await(
        "8 stream tables populated and their source captured",
        () ->
            db.one(
                    "SELECT count(*) FILTER (WHERE is_populated) || ' '"
                        + " || (SELECT count(*) FROM pgtrickle.pgt_change_tracking"
                        + " WHERE captured_since_lsn IS NOT NULL)"
                        + " FROM pgtrickle.pgt_stream_tables")
                .equals(2 * TABLES_PER_KIND + " 1"));
  }

  /** {p50, p95, p99, markers, summed worker CPU percent}. */
  private static double[] measure(
      KubernetesClient client, String ns, Db db, int workers, int seconds) throws Exception {
    AtomicBoolean stop = new AtomicBoolean();
    Map<Long, Long> committed = new ConcurrentHashMap<>();
    List<Long> lags = Collections.synchronizedList(new ArrayList<>());
    AtomicLong measuringFrom = new AtomicLong(Long.MAX_VALUE);
    AtomicLong changes = new AtomicLong();
    List<Thread> threads = new ArrayList<>();
    AtomicLong losses = new AtomicLong();
    for (int w = 0; w < 2; w++) {
      threads.add(
          start(
              "writer-" + w,
              () -> reconnecting(stop, losses, () -> write(db, stop, RATE / 2, changes))));
    }
    threads.add(
        start("markers", () -> reconnecting(stop, losses, () -> markers(db, stop, committed))));
    threads.add(
        start(
            "poller",
            () ->
                reconnecting(stop, losses, () -> poll(db, stop, committed, lags, measuringFrom))));
    Thread.sleep(WARMUP_SECONDS * 1000L);
    measuringFrom.set(System.nanoTime());
    long changesBefore = changes.get();
    RefreshPhaseTotals phasesBefore = RefreshPhaseTotals.read(workerPods(client, ns));
    Map<String, List<Double>> cpu = new LinkedHashMap<>();
    long end = System.nanoTime() + seconds * 1_000_000_000L;
    while (System.nanoTime() < end) {
      for (Pod pod : workerPods(client, ns)) {
        double percent = metric(pod, "pg_trickle_worker_cpu_percent");
        if (percent >= 0) {
          cpu.computeIfAbsent(pod.getMetadata().getName(), k -> new ArrayList<>()).add(percent);
        }
      }
      Thread.sleep(1000);
    }
    double rate = (changes.get() - changesBefore) / (double) seconds;
    String phases = RefreshPhaseTotals.read(workerPods(client, ns)).meansSince(phasesBefore);
    stop.set(true);
    for (Thread t : threads) {
      t.join(30_000);
    }
    List<Long> sorted = new ArrayList<>(lags);
    Collections.sort(sorted);
    double cpuSum =
        cpu.values().stream()
            .mapToDouble(l -> l.stream().mapToDouble(Double::doubleValue).average().orElse(0))
            .sum();
    // No marker visible while measuring (the pipeline stalled): NaN, said so, never a made-up 0.
    double[] r = {
      pct(sorted, 0.50), pct(sorted, 0.95), pct(sorted, 0.99), sorted.size(), cpuSum, losses.get()
    };
    System.out.printf(
        Locale.ROOT,
        "workers=%d: %.0f changes/s, freshness p50 %.0f ms, p95 %.0f ms, p99 %.0f ms over %.0f"
            + " markers%s; worker CPU %.0f%% summed over %d workers; %d lost connection(s) of the"
            + " load (%s)%n",
        workers,
        rate,
        r[0],
        r[1],
        r[2],
        r[3],
        sorted.isEmpty() ? " (NO MARKER BECAME VISIBLE: the pipeline did not keep up)" : "",
        cpuSum,
        cpu.size(),
        losses.get(),
        history(db, seconds));
    System.out.printf(Locale.ROOT, "  refresh phases, mean per refresh: %s%n", phases);
    return r;
  }

  /**
   * The refreshes of the last {@code seconds}, or why not: count (and how many recomputed),
   * duration p50/p95 (start to commit), and how late they started: start minus the moment the table
   * fell due (its previous refresh's {@code data_timestamp} plus the 1 s schedule), p50/p95, the
   * scheduling delay that adds to freshness on top of the schedule.
   */
  private static String history(Db db, int seconds) {
    try {
      return db.one(
          "SELECT format('refreshes %s (%s FULL), duration p50 %s ms p95 %s ms (FULL p50 %s ms"
              + " p95 %s ms, DIFFERENTIAL p50 %s ms p95 %s ms), started late by"
              + " p50 %s ms p95 %s ms', count(*), count(*) FILTER (WHERE action = 'FULL'),"
              + " percentile_disc(0.5) WITHIN GROUP (ORDER BY d),"
              + " percentile_disc(0.95) WITHIN GROUP (ORDER BY d),"
              + " percentile_disc(0.5) WITHIN GROUP (ORDER BY d) FILTER (WHERE action = 'FULL'),"
              + " percentile_disc(0.95) WITHIN GROUP (ORDER BY d) FILTER (WHERE action = 'FULL'),"
              + " percentile_disc(0.5) WITHIN GROUP (ORDER BY d)"
              + " FILTER (WHERE action = 'DIFFERENTIAL'),"
              + " percentile_disc(0.95) WITHIN GROUP (ORDER BY d)"
              + " FILTER (WHERE action = 'DIFFERENTIAL'),"
              + " percentile_disc(0.5) WITHIN GROUP (ORDER BY late),"
              + " percentile_disc(0.95) WITHIN GROUP (ORDER BY late)) FROM (SELECT action,"
              + " start_time, (extract(epoch FROM end_time - start_time) * 1000)::int d,"
              + " (extract(epoch FROM start_time - lag(data_timestamp) OVER (PARTITION BY pgt_id"
              + " ORDER BY start_time) - interval '1 second') * 1000)::int late"
              + " FROM pgtrickle.pgt_refresh_history WHERE status = 'COMPLETED') h"
              + " WHERE start_time > now() - "
              + seconds
              + " * interval '1 second'");
    } catch (SQLException | RuntimeException e) {
      return "refresh history not readable: " + e.getMessage();
    }
  }

  private static void scale(KubernetesClient client, String ns, int workers) {
    client
        .resources(StreamTableCluster.class)
        .inNamespace(ns)
        .withName(NAME)
        .patch(
            PatchContext.of(PatchType.JSON_MERGE),
            "{\"spec\":{\"workers\":{\"min\":" + workers + "}}}");
    awaitWorkers(client, ns, workers);
  }

  private static void awaitWorkers(KubernetesClient client, String ns, int workers) {
    Db.await(
        workers + " ready workers",
        () -> {
          List<Pod> pods = workerPods(client, ns);
          return pods.size() == workers && pods.stream().allMatch(Readiness::isPodReady);
        });
  }

  private static List<Pod> workerPods(KubernetesClient client, String ns) {
    return client
        .pods()
        .inNamespace(ns)
        .withLabel("app.kubernetes.io/component", "worker")
        .list()
        .getItems()
        .stream()
        .filter(p -> p.getMetadata().getDeletionTimestamp() == null)
        .toList();
  }

  /** A gauge from a worker pod's /metrics (its pod IP, port 8080), or -1. */
  private static double metric(Pod pod, String name) {
    try {
      HttpResponse<String> r =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(
                          URI.create("http://" + pod.getStatus().getPodIP() + ":8080/metrics"))
                      .timeout(Duration.ofSeconds(2))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      for (String line : r.body().split("\n")) {
        if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
          return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        }
      }
    } catch (Exception e) {
      // a worker starting or stopping: no sample
    }
    return -1;
  }

  private static double pct(List<Long> sorted, double p) {
    if (sorted.isEmpty()) {
      return Double.NaN;
    }
    return sorted.get((int) Math.min(sorted.size() - 1, Math.ceil(p * sorted.size()) - 1));
  }

  private static Thread start(String name, Db.Action r) {
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

  /**
   * Runs {@code body} until {@code stop}, on a new connection after each failure (a lost
   * connection, PostgreSQL restarting on a loaded machine): one failure must not end the
   * measurement. Counts the failures in {@code losses}.
   */
  private static void reconnecting(AtomicBoolean stop, AtomicLong losses, Db.Action body) {
    while (!stop.get()) {
      try {
        body.run();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (Exception e) {
        if (!stop.get()) {
          losses.incrementAndGet();
          LockSupport.parkNanos(500_000_000L);
        }
      }
    }
  }

  /** Transactions of 10 changes: 4 inserts, 4 updates, 2 deletes, at {@code rate} changes/s. */
  private static void write(Db db, AtomicBoolean stop, int rate, AtomicLong changes)
      throws Exception {
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
        changes.addAndGet(10);
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

  private static void markers(Db db, AtomicBoolean stop, Map<Long, Long> committed)
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

  /** Markers commit in id order from one connection, so max(id) seen covers every smaller one. */
  private static void poll(
      Db db, AtomicBoolean stop, Map<Long, Long> committed, List<Long> lags, AtomicLong from)
      throws Exception {
    long[] seen = new long[TABLES_PER_KIND];
    try (Connection c = db.connect()) {
      List<PreparedStatement> reads = new ArrayList<>();
      for (int i = 0; i < TABLES_PER_KIND; i++) {
        reads.add(c.prepareStatement("SELECT coalesce(max(id), 0) FROM public.st_markers_" + i));
      }
      while (!stop.get()) {
        for (int i = 0; i < TABLES_PER_KIND; i++) {
          long top;
          try (ResultSet rs = reads.get(i).executeQuery()) {
            rs.next();
            top = rs.getLong(1);
          }
          long now = System.nanoTime();
          if (top > seen[i]) {
            for (Map.Entry<Long, Long> e : committed.entrySet()) {
              long id = e.getKey();
              if (id % TABLES_PER_KIND == i && id <= top && committed.remove(id) != null) {
                if (e.getValue() >= from.get()) {
                  lags.add((now - e.getValue()) / 1_000_000);
                }
              }
            }
            seen[i] = top;
          }
        }
        Thread.sleep(5);
      }
    }
  }

  /** The database of the PostgresCluster's primary, as its superuser. */
  private record Db(HaCluster pg) {

    interface Action {
      void run() throws Exception;
    }

    interface Check {
      boolean ok() throws Exception;
    }

    /** Without HaCluster's 5 s socket timeout: statements may take longer on a loaded machine. */
    Connection connect() throws SQLException {
      java.util.Properties props = new java.util.Properties();
      props.setProperty("user", "postgres");
      props.setProperty("password", pg.password());
      props.setProperty("connectTimeout", "10");
      props.setProperty("options", "-c statement_timeout=120s");
      return java.sql.DriverManager.getConnection(
          "jdbc:postgresql://" + pg.primaryIp().orElseThrow() + ":5432/postgres", props);
    }

    void sql(String... statements) throws SQLException {
      try (Connection c = connect();
          Statement s = c.createStatement()) {
        for (String sql : statements) {
          s.execute(sql);
        }
      }
    }

    String one(String sql) throws SQLException {
      try (Connection c = connect();
          Statement s = c.createStatement();
          ResultSet rs = s.executeQuery(sql)) {
        return rs.next() ? rs.getString(1) : null;
      }
    }

    static void await(String what, Check check) {
      long deadline = System.nanoTime() + WAIT.toNanos();
      Exception last = null;
      while (System.nanoTime() < deadline) {
        try {
          if (check.ok()) {
            return;
          }
        } catch (Exception e) {
          last = e;
        }
        LockSupport.parkNanos(500_000_000L);
      }
      throw new IllegalStateException("timed out waiting for " + what, last);
    }
  }
}
