package io.pgtrickle.worker.bench;

import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pgtrickle.changelog.support.ServerProcess;
import io.pgtrickle.worker.config.ConfigParser;
import io.pgtrickle.worker.config.WorkerConfig;
import io.pgtrickle.worker.db.Database;
import io.pgtrickle.worker.dvm.DifferentialPlanner;
import io.pgtrickle.worker.it.Children;
import io.pgtrickle.worker.it.PipelineDb;
import io.pgtrickle.worker.refresh.Plans;
import io.pgtrickle.worker.refresh.RefreshOutcome;
import io.pgtrickle.worker.refresh.Refresher;
import io.pgtrickle.worker.runtime.CpuSampler;
import io.pgtrickle.worker.runtime.WorkerMetrics;
import io.pgtrickle.worker.runtime.WorkerState;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * {@code make bench-refresh}: the worker's own refresh path ({@link Refresher} with the
 * differential engine's planner, as {@code WorkerMain} wires it), statement by statement. The
 * cdc-consumer and a worker (its ingest; its schedules are an hour, so it refreshes nothing after
 * populating) run as child JVMs; the refreshes run in this JVM on connections of their own role
 * {@code refresher}, so {@code pg_stat_statements} tells their statements apart.
 *
 * <p>bench-dvm's {@code src} (100K rows) and {@code dim}; stream tables: a 5-group aggregate under
 * DIFFERENTIAL and under AUTO, a filter and a join under DIFFERENTIAL. Per size of batch ({@code
 * bench.changes}, default 40 and 1,000 changes: UPDATE 70%, DELETE 15%, INSERT 15%), 5 warm-up and
 * {@code bench.cycles} (15) measured cycles: the writes, a wait until the ingest copied them, then
 * one refresh of each stream table. A refresh is timed without its wait for the CDC and the ingest
 * (phase {@code ingest_wait}, which depends on the change log, not on the refresh). Printed: per
 * stream table the actions, median and range of the refresh time, the mean of each phase; the
 * refresher's statements from {@code pg_stat_statements} (calls per refresh, plans, mean planning
 * and execution ms); and the server log of one more refresh of the aggregate with every statement
 * logged (its round trips, in order). The last line is machine-readable.
 */
public final class RefreshPathBench {

  static final int ROWS = Integer.getInteger("bench.rows", 100_000);
  static final int WARMUP = 5;
  static final int MEASURED = Integer.getInteger("bench.cycles", 15);
  static final String ROLE = "refresher";
  static final String OWNER = "st_owner";

  /** The stream tables: name, mode, query. */
  static final String[][] TABLES = {
    {
      "st_agg",
      "DIFFERENTIAL",
      "SELECT region, sum(amount) AS total, count(*) AS cnt FROM public.src GROUP BY region"
    },
    {
      "st_agg_auto",
      "AUTO",
      "SELECT region, sum(amount) AS total, count(*) AS cnt FROM public.src GROUP BY region"
    },
    {"st_filter", "DIFFERENTIAL", "SELECT id, region, amount FROM public.src WHERE amount > 5000"},
    {
      "st_join",
      "DIFFERENTIAL",
      "SELECT s.id, s.region, s.amount, d.region_name FROM public.src s"
          + " JOIN public.dim d ON s.region = d.region"
    },
  };

  private RefreshPathBench() {}

  public static void main(String[] args) throws Exception {
    List<Integer> batches =
        Arrays.stream(System.getProperty("bench.changes", "40,1000").split(","))
            .map(s -> Integer.parseInt(s.trim()))
            .toList();
    Path dir = ServerProcess.targetDir("bench-refresh");
    try (PipelineDb db =
        PipelineDb.start(
            Integer.getInteger("bench.pg", 15),
            "-c shared_preload_libraries=pg_stat_statements"
                + " -c pg_stat_statements.track_planning=on")) {
      setUp(db);
      Process cdc =
          Children.cdc(Children.cdcEnv(db, "", "bench", db.changeLogUri()), dir.resolve("cdc.log"));
      Process ingest =
          Children.worker(
              debugEnv(Children.workerEnv(db, db.changeLogUri(), "ingest")),
              dir.resolve("worker.log"));
      SimpleMeterRegistry registry = new SimpleMeterRegistry();
      try (Refresher refresher = refresher(db, registry)) {
        db.awaitCaptured();
        Children.await(
            "stream tables populated",
            Duration.ofSeconds(120),
            () ->
                "0"
                    .equals(
                        db.one(
                            "SELECT count(*) FROM pgtrickle.pgt_stream_tables"
                                + " WHERE NOT is_populated")));
        Map<String, Long> ids = new LinkedHashMap<>();
        for (String[] t : TABLES) {
          ids.put(
              t[0],
              Long.parseLong(
                  db.one(
                      "SELECT pgt_id FROM pgtrickle.pgt_stream_tables WHERE pgt_name = ?", t[0])));
        }
        List<String> keys = new ArrayList<>();
        for (int changes : batches) {
          keys.addAll(run(db, refresher, registry, ids, changes));
        }
        trace(db, refresher, ids.get("st_agg"), batches.get(0));
        System.out.println(String.join(" ", keys));
      } finally {
        ingest.destroy();
        ingest.waitFor(60, TimeUnit.SECONDS);
        ServerProcess.stop(cdc, 30);
      }
    }
  }

  static Map<String, String> debugEnv(Map<String, String> env) {
    env.put("PGTRICKLE_LOG_LEVEL", "DEBUG");
    return env;
  }

  private static void setUp(PipelineDb db) {
    db.sql(
        "CREATE EXTENSION pg_stat_statements",
        "CREATE ROLE " + ROLE + " LOGIN SUPERUSER",
        "CREATE ROLE " + OWNER + " LOGIN",
        "GRANT pgtrickle_operator TO " + OWNER,
        "GRANT CREATE ON SCHEMA public TO " + OWNER,
        "CREATE TABLE public.src (id serial PRIMARY KEY, region text, category text, amount int,"
            + " score int)",
        "CREATE TABLE public.dim (id serial PRIMARY KEY, region text NOT NULL,"
            + " region_name text NOT NULL)",
        "INSERT INTO public.dim (region, region_name) VALUES ('north', 'Northern Region'),"
            + " ('south', 'Southern Region'), ('east', 'Eastern Region'),"
            + " ('west', 'Western Region'), ('central', 'Central Region')",
        "INSERT INTO public.src (region, category, amount, score) SELECT"
            + " (ARRAY['north', 'south', 'east', 'west', 'central'])[i % 5 + 1],"
            + " (ARRAY['A', 'B', 'C', 'D'])[i % 4 + 1], (i * 17 + 13) % 10000, (i * 31 + 7) % 100"
            + " FROM generate_series(1, "
            + ROWS
            + ") AS s(i)",
        "GRANT SELECT ON public.src, public.dim TO " + OWNER);
    for (String[] t : TABLES) {
      db.sqlAs(
          OWNER,
          "SELECT pgtrickle.create_stream_table('public."
              + t[0]
              + "', $q$"
              + t[2]
              + "$q$, '1h', '"
              + t[1]
              + "')");
    }
    db.sql("VACUUM ANALYZE");
  }

  private static Refresher refresher(PipelineDb db, SimpleMeterRegistry registry) {
    WorkerConfig config =
        ConfigParser.parse(
            Map.of(
                "PGTRICKLE_DATABASE_URL",
                db.jdbcUrl(),
                "PGTRICKLE_DATABASE_USER",
                ROLE,
                "PGTRICKLE_CHANGELOG_URI",
                db.changeLogUri(),
                "PGTRICKLE_WORKER_ID",
                "local"),
            List.of());
    return new Refresher(
        new Database(config),
        "refresh-1",
        new Plans(new DifferentialPlanner()),
        new WorkerMetrics(registry, new WorkerState(), new CpuSampler()),
        Duration.ofSeconds(30),
        3);
  }

  /** Warm-up and measured cycles of one batch size; returns the machine-readable keys. */
  private static List<String> run(
      PipelineDb db,
      Refresher refresher,
      SimpleMeterRegistry registry,
      Map<String, Long> ids,
      int changes) {
    Map<String, List<Double>> times = new LinkedHashMap<>();
    Map<String, Map<String, Double>> phases = new LinkedHashMap<>();
    Map<String, Map<String, Integer>> actions = new LinkedHashMap<>();
    for (int cycle = 0; cycle < WARMUP + MEASURED; cycle++) {
      boolean measured = cycle >= WARMUP;
      if (cycle == WARMUP) {
        db.sql("SELECT pg_stat_statements_reset()");
      }
      write(db, changes);
      for (Map.Entry<String, Long> st : ids.entrySet()) {
        Map<String, Double> before = phaseTotals(registry);
        long t0 = System.nanoTime();
        RefreshOutcome o = refresher.refresh(st.getValue(), false);
        double wall = (System.nanoTime() - t0) / 1e6;
        if (o.kind() != RefreshOutcome.Kind.COMPLETED) {
          throw new IllegalStateException(st.getKey() + ": " + o);
        }
        Map<String, Double> spent = minus(phaseTotals(registry), before);
        double refresh = wall - spent.getOrDefault("ingest_wait", 0.0);
        if (measured) {
          times.computeIfAbsent(st.getKey(), k -> new ArrayList<>()).add(refresh);
          Map<String, Double> acc = phases.computeIfAbsent(st.getKey(), k -> new TreeMap<>());
          spent.forEach((k, v) -> acc.merge(k, v / MEASURED, Double::sum));
          actions
              .computeIfAbsent(st.getKey(), k -> new TreeMap<>())
              .merge(o.action(), 1, Integer::sum);
        }
      }
    }
    System.out.printf(
        Locale.ROOT,
        "%n%d changes a cycle (%d rows), %d measured cycles; refresh ms without the ingest wait%n",
        changes,
        ROWS,
        MEASURED);
    List<String> keys = new ArrayList<>();
    for (String st : ids.keySet()) {
      List<Double> t = new ArrayList<>(times.get(st));
      t.sort(null);
      double median = t.get(t.size() / 2);
      System.out.printf(
          Locale.ROOT,
          "  %-12s median %6.2f ms (%.2f-%.2f)  %s%n    phases (mean ms): %s%n",
          st,
          median,
          t.get(0),
          t.get(t.size() - 1),
          actions.get(st),
          describe(phases.get(st)));
      keys.add(String.format(Locale.ROOT, "%s_%d_ms=%.2f", st, changes, median));
    }
    statements(db, MEASURED * ids.size());
    return keys;
  }

  /** One cycle's writes: UPDATE 70%, DELETE 15%, INSERT 15% of {@code n}; waits for the ingest. */
  private static void write(PipelineDb db, int n) {
    int updates = Math.max(1, n * 70 / 100);
    int deletes = Math.max(1, n * 15 / 100);
    int inserts = Math.max(1, n - updates - deletes);
    db.sql(
        "UPDATE public.src SET amount = amount + 1 WHERE id IN (SELECT id FROM public.src"
            + " ORDER BY random() LIMIT "
            + updates
            + ")",
        "DELETE FROM public.src WHERE id IN (SELECT id FROM public.src ORDER BY random() LIMIT "
            + deletes
            + ")",
        "INSERT INTO public.src (region, category, amount, score) SELECT"
            + " (ARRAY['north', 'south', 'east', 'west', 'central'])[i % 5 + 1], 'A',"
            + " (random() * 10000)::int, (random() * 100)::int FROM generate_series(1, "
            + inserts
            + ") AS s(i)");
    String written = db.one("SELECT pg_current_wal_insert_lsn()::text");
    // As a refresh asks the ingest (IngestDemand), once a second until it got there.
    long[] asked = {0};
    Children.await(
        "the ingest copied the cycle",
        Duration.ofSeconds(Integer.getInteger("bench.ingestWait", 60)),
        () -> {
          if (System.nanoTime() - asked[0] > 1_000_000_000L) {
            db.sql("SELECT pg_notify('pgtrickle_ingest', '" + written + "')");
            asked[0] = System.nanoTime();
          }
          return "true"
              .equals(
                  db.one(
                      "SELECT bool_and(ingested_lsn >= ?::pg_lsn)::text"
                          + " FROM pgtrickle.pgt_change_tracking",
                      written));
        });
  }

  /**
   * The refresher's statements since the last reset, heaviest first: its role's, and the stream
   * tables' owner's (the plan runs as the owner).
   */
  private static void statements(PipelineDb db, int refreshes) {
    System.out.println(
        "  statements of the refresher's connections (pg_stat_statements, roles "
            + ROLE
            + " and "
            + OWNER
            + "): calls per refresh, plans, mean plan ms, mean exec ms, statement");
    for (String line :
        db.column(
            // COPY statements name their window's bounds as literals: one line for them all.
            "SELECT format('  %s %s %s %s  %s', to_char(sum(calls)::numeric / ?, '990.00'),"
                + " to_char(sum(plans), '99990'),"
                + " to_char(sum(total_plan_time) / greatest(sum(plans), 1), '990.000'),"
                + " to_char(sum(total_exec_time) / nullif(sum(calls), 0), '990.000'), q)"
                + " FROM (SELECT *, left(regexp_replace(regexp_replace(query, '\\s+', ' ', 'g'),"
                + " '''[0-9A-F]+/[0-9A-F]+''', '''..''', 'g'), 140) AS q FROM pg_stat_statements"
                + " WHERE userid IN (?::regrole, ?::regrole)) s"
                + " GROUP BY q ORDER BY sum(total_exec_time + total_plan_time) DESC",
            refreshes, ROLE, OWNER)) {
      System.out.println(line);
    }
    System.out.println(
        "  total calls per refresh: "
            + db.one(
                "SELECT round(sum(calls)::numeric / ?, 2) FROM pg_stat_statements"
                    + " WHERE userid IN (?::regrole, ?::regrole)",
                refreshes,
                ROLE,
                OWNER));
  }

  /** One more cycle with every statement of the server logged; prints the refresh's lines. */
  private static void trace(PipelineDb db, Refresher refresher, long pgtId, int changes)
      throws Exception {
    Path log =
        Path.of(db.one("SELECT current_setting('data_directory')"))
            .getParent()
            .resolve("postgres.log");
    write(db, changes);
    db.sql(
        "ALTER SYSTEM SET log_line_prefix = '%m [%a] '",
        "ALTER SYSTEM SET log_min_duration_statement = 0", "SELECT pg_reload_conf()");
    ServerProcess.sleep(500);
    long from = Files.size(log);
    RefreshOutcome o = refresher.refresh(pgtId, false);
    db.sql(
        "ALTER SYSTEM RESET log_min_duration_statement",
        "ALTER SYSTEM RESET log_line_prefix",
        "SELECT pg_reload_conf()");
    String text = Files.readString(log).substring((int) from);
    System.out.printf(
        Locale.ROOT, "%none refresh of st_agg (%s), the server's log of its connections:%n", o);
    for (String line : text.split("\n")) {
      if (line.contains("[pgtrickle-worker local ") && line.contains("duration:")) {
        System.out.println("  " + (line.length() > 220 ? line.substring(0, 220) + "..." : line));
      }
    }
  }

  private static Map<String, Double> phaseTotals(SimpleMeterRegistry registry) {
    Map<String, Double> out = new HashMap<>();
    for (Timer t : registry.find("pg_trickle_refresh_phase").timers()) {
      out.merge(t.getId().getTag("phase"), t.totalTime(TimeUnit.NANOSECONDS) / 1e6, Double::sum);
    }
    return out;
  }

  private static Map<String, Double> minus(Map<String, Double> after, Map<String, Double> before) {
    Map<String, Double> out = new LinkedHashMap<>();
    after.forEach(
        (k, v) -> {
          double d = v - before.getOrDefault(k, 0.0);
          if (d > 0) {
            out.put(k, d);
          }
        });
    return out;
  }

  private static String describe(Map<String, Double> phases) {
    List<String> parts = new ArrayList<>();
    phases.forEach((k, v) -> parts.add(String.format(Locale.ROOT, "%s %.2f", k, v)));
    return String.join(", ", parts);
  }
}
