package io.pgtrickle.worker.bench;

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
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

/**
 * {@code make bench-refresh}: the worker's own refresh path ({@link Refresher} with the
 * differential engine's planner, as {@code WorkerMain} wires it), statement by statement. The
 * cdc-consumer and a worker (its ingest; its schedules are an hour, so it refreshes nothing after
 * populating) run as child JVMs; the refreshes run in this JVM on connections of their own role
 * {@code refresher}, and the stream tables belong to {@code st_owner} (the plan runs as the owner),
 * so {@code pg_stat_statements} tells the refresh's statements apart.
 *
 * <p>bench-dvm's {@code src} (100K rows) and {@code dim}, and a small {@code orders} (1,000 rows,
 * like {@code make demo}'s); stream tables: bench-dvm's five queries under DIFFERENTIAL, its
 * aggregate under AUTO too, and a 3-group aggregate of {@code orders} under AUTO. With 1,000
 * changes a cycle this is bench-dvm's 100K/1% cell through the worker's refresh path. Per batch
 * size ({@code bench.changes}, default 40 and 1,000 changes to {@code src}: UPDATE 70%, DELETE 15%,
 * INSERT 15%; always 40 to {@code orders}), 5 warm-up and {@code bench.cycles} (15) measured
 * cycles: the writes, a wait until the ingest copied them, one refresh of each stream table, and
 * {@code REFRESH MATERIALIZED VIEW} of the same queries. A refresh is timed without its wait for
 * the CDC and the ingest (phase {@code ingest_wait}, which depends on the change log, not on the
 * refresh). Printed ({@link RefreshPathReport}): per stream table the actions, the median and range
 * of the refresh time, the matview's median and the ratio, the mean of each phase, AUTO's last
 * reason; the refresher's statements from {@code pg_stat_statements}; and the server log of one
 * more refresh of the aggregate with every statement logged (its round trips, in order). The last
 * line is machine-readable.
 */
public final class RefreshPathBench {

  static final int ROWS = Integer.getInteger("bench.rows", 100_000);
  static final int WARMUP = 5;
  static final int MEASURED = Integer.getInteger("bench.cycles", 15);
  static final int SMALL_CHANGES = 40;
  static final String ROLE = "refresher";
  static final String OWNER = "st_owner";

  private static final String AGG =
      "SELECT region, sum(amount) AS total, count(*) AS cnt FROM public.src GROUP BY region";

  /** The stream tables: name, mode, query, the matview of the same query (or null). */
  static final String[][] TABLES = {
    {
      "st_scan",
      "DIFFERENTIAL",
      "SELECT id, region, category, amount, score FROM public.src",
      "mv_scan"
    },
    {"st_agg", "DIFFERENTIAL", AGG, "mv_agg"},
    {"st_agg_auto", "AUTO", AGG, "mv_agg"},
    {
      "st_filter",
      "DIFFERENTIAL",
      "SELECT id, region, amount FROM public.src WHERE amount > 5000",
      "mv_filter"
    },
    {
      "st_join",
      "DIFFERENTIAL",
      "SELECT s.id, s.region, s.amount, d.region_name FROM public.src s"
          + " JOIN public.dim d ON s.region = d.region",
      "mv_join"
    },
    {
      "st_join_agg",
      "DIFFERENTIAL",
      "SELECT d.region_name, sum(s.amount) AS total, count(*) AS cnt FROM public.src s"
          + " JOIN public.dim d ON s.region = d.region GROUP BY d.region_name",
      "mv_join_agg"
    },
    {
      "st_orders",
      "AUTO",
      "SELECT category, count(*) AS orders, sum(amount) AS total FROM public.orders"
          + " GROUP BY category",
      "mv_orders"
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
              Children.workerEnv(db, db.changeLogUri(), "ingest"), dir.resolve("worker.log"));
      SimpleMeterRegistry registry = new SimpleMeterRegistry();
      try (Refresher refresher = refresher(db, registry);
          Connection matview = db.connect()) {
        db.awaitCaptured();
        db.awaitPopulated(Duration.ofSeconds(120));
        Map<String, Long> ids = new LinkedHashMap<>();
        for (String[] t : TABLES) {
          ids.put(
              t[0],
              Long.parseLong(
                  db.one(
                      "SELECT pgt_id FROM pgtrickle.pgt_stream_tables WHERE pgt_name = ?", t[0])));
        }
        RefreshPathReport report = new RefreshPathReport(db, registry);
        List<String> keys = new ArrayList<>();
        for (int changes : batches) {
          keys.addAll(run(db, matview, refresher, report, ids, changes));
        }
        write(db, batches.get(0));
        report.trace(refresher, ids.get("st_agg"));
        System.out.println(String.join(" ", keys));
      } finally {
        ingest.destroy();
        ingest.waitFor(60, TimeUnit.SECONDS);
        ServerProcess.stop(cdc, 30);
      }
    }
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
        "CREATE TABLE public.orders (id serial PRIMARY KEY, category text NOT NULL,"
            + " amount numeric(10,2) NOT NULL)",
        "INSERT INTO public.dim (region, region_name) VALUES ('north', 'Northern Region'),"
            + " ('south', 'Southern Region'), ('east', 'Eastern Region'),"
            + " ('west', 'Western Region'), ('central', 'Central Region')",
        "INSERT INTO public.src (region, category, amount, score) SELECT"
            + " (ARRAY['north', 'south', 'east', 'west', 'central'])[i % 5 + 1],"
            + " (ARRAY['A', 'B', 'C', 'D'])[i % 4 + 1], (i * 17 + 13) % 10000, (i * 31 + 7) % 100"
            + " FROM generate_series(1, "
            + ROWS
            + ") AS s(i)",
        "INSERT INTO public.orders (category, amount) SELECT"
            + " (ARRAY['books', 'games', 'music'])[1 + g % 3], g FROM generate_series(1, 1000) g",
        "GRANT SELECT ON public.src, public.dim, public.orders TO " + OWNER);
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
      db.sql("CREATE MATERIALIZED VIEW IF NOT EXISTS public." + t[3] + " AS " + t[2]);
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
      Connection matview,
      Refresher refresher,
      RefreshPathReport report,
      Map<String, Long> ids,
      int changes)
      throws SQLException {
    Map<String, RefreshPathReport.Table> tables = new LinkedHashMap<>();
    Map<String, List<Double>> matviews = new TreeMap<>();
    for (int cycle = 0; cycle < WARMUP + MEASURED; cycle++) {
      boolean measured = cycle >= WARMUP;
      if (cycle == WARMUP) {
        db.sql("SELECT pg_stat_statements_reset()");
      }
      write(db, changes);
      for (String[] t : TABLES) {
        Map<String, Double> before = report.phaseTotals();
        long t0 = System.nanoTime();
        RefreshOutcome o = refresher.refresh(ids.get(t[0]), false);
        double wall = (System.nanoTime() - t0) / 1e6;
        if (o.kind() != RefreshOutcome.Kind.COMPLETED) {
          throw new IllegalStateException(t[0] + ": " + o);
        }
        if (measured) {
          tables
              .computeIfAbsent(t[0], k -> new RefreshPathReport.Table(t[3]))
              .add(wall, RefreshPathReport.minus(report.phaseTotals(), before), o.action());
        }
      }
      for (String mv : new TreeSet<>(Arrays.stream(TABLES).map(t -> t[3]).toList())) {
        // One round trip, committed as the worker commits (bench-dvm times it the same way).
        long t0 = System.nanoTime();
        try (Statement s = matview.createStatement()) {
          s.execute("SET LOCAL synchronous_commit = off; REFRESH MATERIALIZED VIEW " + mv);
        }
        if (measured) {
          matviews.computeIfAbsent(mv, k -> new ArrayList<>()).add((System.nanoTime() - t0) / 1e6);
        }
      }
    }
    System.out.printf(
        Locale.ROOT,
        "%n%d changes a cycle to src (%d rows), %d to orders, %d measured cycles; refresh ms"
            + " without the ingest wait; REFRESH MATERIALIZED VIEW of the same query%n",
        changes,
        ROWS,
        SMALL_CHANGES,
        MEASURED);
    List<String> keys = report.tables(tables, matviews, ids, changes);
    report.statements(MEASURED * ids.size());
    return keys;
  }

  /**
   * One cycle's writes: UPDATE 70%, DELETE 15%, INSERT 15% of {@code n} rows of src and of 40 of
   * orders; then waits until the ingest copied them.
   */
  static void write(PipelineDb db, int n) {
    db.sql(
        cycle(
            "src",
            n,
            "region, category, amount, score",
            "(ARRAY['north', 'south', 'east', 'west', 'central'])[i % 5 + 1], 'A',"
                + " (random() * 10000)::int, (random() * 100)::int"));
    db.sql(
        cycle(
            "orders",
            SMALL_CHANGES,
            "category, amount",
            "(ARRAY['books', 'games', 'music'])[1 + i % 3], round((random() * 100)::numeric, 2)"));
    db.awaitIngested(Duration.ofSeconds(60));
  }

  private static String[] cycle(String table, int n, String columns, String values) {
    int updates = Math.max(1, n * 70 / 100);
    int deletes = Math.max(1, n * 15 / 100);
    int inserts = Math.max(1, n - updates - deletes);
    String t = "public." + table;
    return new String[] {
      "UPDATE "
          + t
          + " SET amount = amount + 1 WHERE id IN (SELECT id FROM "
          + t
          + " ORDER BY random() LIMIT "
          + updates
          + ")",
      "DELETE FROM "
          + t
          + " WHERE id IN (SELECT id FROM "
          + t
          + " ORDER BY random() LIMIT "
          + deletes
          + ")",
      "INSERT INTO "
          + t
          + " ("
          + columns
          + ") SELECT "
          + values
          + " FROM generate_series(1, "
          + inserts
          + ") AS s(i)"
    };
  }
}
