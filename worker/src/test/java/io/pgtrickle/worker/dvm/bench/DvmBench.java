package io.pgtrickle.worker.dvm.bench;

import io.pgtrickle.changelog.support.PostgresServer;
import io.pgtrickle.worker.dvm.support.PgServers;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.postgresql.PGConnection;

/**
 * {@code make bench-dvm}: pg_trickle's refresh matrix (issue #13 §5) on this machine. For each size
 * (100K, 1M rows) and change rate (1%, 10%): the five queries, each as a materialized view (FULL =
 * {@code REFRESH MATERIALIZED VIEW}), a stream table refreshed differentially, and a stream table
 * under AUTO; 2 warm-up and 3 measured cycles of UPDATE 70% / DELETE 15% / INSERT 15% of rows x
 * rate, then ANALYZE. Then the ingest: the cycle's changes, recorded by triggers (untimed), are
 * loaded into the change buffer with COPY in its format (timed on its own: {@code ingest_ms}, as
 * the worker's ingest fills the buffers off the refresh's path). A differential (and AUTO) refresh
 * is timed as pg_trickle times its refresh (its capture triggers fill the buffers during the source
 * DML): from the refresh's first statement to its COMMIT, reading the buffer already filled (one
 * REPEATABLE READ transaction: L and the window counts, the apply or recompute, the frontier's
 * compare-and-set), without the runtime's waits for the CDC and the ingest. The consumed changes
 * are deleted after the cycle, untimed (the worker's ingest prunes the buffers). Beside them, the
 * DML floor ({@link BenchFloor}: the cycle's net change, known in advance, applied by UPDATE,
 * DELETE and INSERT through the key's index), whose FULL ÷ floor is the ceiling of any in-place
 * differential maintenance in that cell.
 *
 * <p>Issue #13 §5 asks for DIFFERENTIAL "including the time to load the batch from the change log":
 * {@code with_load} = FULL ms / (DIFF ms + ingest ms) charges each cell's differential refresh the
 * whole cycle's load (which in the bench, as in the worker, serves all ten stream tables of the
 * cycle at once), printed as its own column and line of {@code
 * <query>_<size>_<rate>_speedup_with_load=} keys.
 *
 * <p>Properties: {@code bench.sizes} (default 100000,1000000), {@code bench.rates} (0.01,0.10),
 * {@code bench.queries} (all), {@code bench.pg} (15). Last line: one {@code
 * <query>_<size>_<rate>_speedup=} key per cell (FULL ms / DIFFERENTIAL ms).
 */
public final class DvmBench {

  private static final int WARMUP = 2;
  private static final int MEASURED = 3;

  private DvmBench() {}

  /** Averages of one cell. */
  record Cell(
      String query,
      int size,
      double rate,
      double fullMs,
      double diffMs,
      double autoMs,
      double floorMs,
      double ingestMs,
      String autoChoices) {
    String key() {
      return query
          + "_"
          + (size >= 1_000_000 ? size / 1_000_000 + "m" : size / 1000 + "k")
          + "_"
          + Math.round(rate * 100)
          + "pct";
    }
  }

  public static void main(String[] args) throws Exception {
    List<Integer> sizes = ints(System.getProperty("bench.sizes", "100000,1000000"));
    List<Double> rates = new ArrayList<>();
    for (String r : System.getProperty("bench.rates", "0.01,0.10").split(",")) {
      rates.add(Double.parseDouble(r.trim()));
    }
    Map<String, String> queries = BenchQueries.queries();
    String only = System.getProperty("bench.queries", "");
    if (!only.isBlank()) {
      queries.keySet().retainAll(List.of(only.split(",")));
    }
    int major = Integer.getInteger("bench.pg", 15);
    PostgresServer server =
        PostgresServer.start(
            PgServers.bin(major),
            "-c shared_buffers=1GB -c work_mem=64MB" + BenchServerStats.serverOptions());
    List<Cell> cells = new ArrayList<>();
    // Statements are prepared on the server from their first use and planned once (generic plan):
    // a worker refreshing a stream table repeatedly runs the same statements.
    try (Connection c = DriverManager.getConnection(server.jdbcUrl() + "&prepareThreshold=1")) {
      try (Statement s = c.createStatement()) {
        s.execute("SET plan_cache_mode = force_generic_plan");
      }
      BenchServerStats.install(c);
      // Refresh transactions are REPEATABLE READ (the worker's rule); BEGIN then goes with the
      // first statement instead of a round trip of its own.
      c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
      String version;
      try (Statement s = c.createStatement();
          ResultSet rs = s.executeQuery("SHOW server_version")) {
        rs.next();
        version = rs.getString(1);
      }
      System.out.printf(
          "PostgreSQL %s, %d cores; FULL = REFRESH MATERIALIZED VIEW; DIFF and AUTO = the refresh"
              + " transaction, from the change buffer already filled; INGEST = loading the cycle's"
              + " batch into the buffer (COPY), once per cycle, off the refresh's path%n",
          version, Runtime.getRuntime().availableProcessors());
      System.out.println(
          "DIFF and AUTO time the engine's refresh statements in 2 round trips, not the worker's"
              + " refresh path (4 round trips: claim, catalog row, history; the windows read on a"
              + " second connection after the ingest): make bench-refresh times that one");
      for (int size : sizes) {
        for (double rate : rates) {
          cells.addAll(runMatrixCell(c, size, rate, queries));
        }
      }
    } finally {
      if (Boolean.getBoolean("bench.keep")) {
        // -Dbench.keep=true: left running for psql (stop it with pg_ctl -D <data> stop).
        System.out.println("server left running: port " + server.port() + ", bin " + server.bin());
      } else {
        server.close();
      }
    }
    System.out.println();
    System.out.printf(
        "%-10s %8s %5s %11s %11s %8s %11s %6s %9s %9s %8s %11s %9s%n",
        "query",
        "rows",
        "rate",
        "full_ms",
        "diff_ms",
        "speedup",
        "auto_ms",
        "auto",
        "auto/full",
        "floor_ms",
        "ceiling",
        "ingest_ms",
        "with_load");
    List<String> keys = new ArrayList<>();
    List<String> autoKeys = new ArrayList<>();
    List<String> ceilingKeys = new ArrayList<>();
    List<String> withLoadKeys = new ArrayList<>();
    for (Cell cell : cells) {
      double withLoad = cell.fullMs() / (cell.diffMs() + cell.ingestMs());
      System.out.printf(
          Locale.ROOT,
          "%-10s %8d %4.0f%% %11.1f %11.1f %7.1fx %11.1f %6s %9.2f %9.1f %7.1fx %11.1f %8.1fx%n",
          cell.query(),
          cell.size(),
          cell.rate() * 100,
          cell.fullMs(),
          cell.diffMs(),
          cell.fullMs() / cell.diffMs(),
          cell.autoMs(),
          cell.autoChoices(),
          cell.autoMs() / cell.fullMs(),
          cell.floorMs(),
          cell.fullMs() / cell.floorMs(),
          cell.ingestMs(),
          withLoad);
      withLoadKeys.add(
          String.format(Locale.ROOT, "%s_speedup_with_load=%.1f", cell.key(), withLoad));
      keys.add(
          String.format(Locale.ROOT, "%s_speedup=%.1f", cell.key(), cell.fullMs() / cell.diffMs()));
      autoKeys.add(
          String.format(
              Locale.ROOT, "%s_auto_vs_full=%.2f", cell.key(), cell.autoMs() / cell.fullMs()));
      ceilingKeys.add(
          String.format(
              Locale.ROOT, "%s_ceiling=%.1f", cell.key(), cell.fullMs() / cell.floorMs()));
    }
    System.out.println(String.join(" ", ceilingKeys));
    System.out.println(String.join(" ", withLoadKeys));
    System.out.println(String.join(" ", autoKeys));
    System.out.println(String.join(" ", keys));
  }

  private static List<Cell> runMatrixCell(
      Connection c, int size, double rate, Map<String, String> queries) throws Exception {
    try (Statement s = c.createStatement()) {
      s.execute("DROP SCHEMA IF EXISTS bench CASCADE");
      s.execute("CREATE SCHEMA bench");
      s.execute("CREATE SCHEMA IF NOT EXISTS pgtrickle_changes");
      for (String sql : BenchQueries.SETUP) {
        s.execute(sql);
      }
      s.execute(BenchQueries.load(size));
      s.execute("CREATE TABLE bench.frontiers (name text PRIMARY KEY, lsn pg_lsn NOT NULL)");
      s.execute("ALTER TABLE bench.src REPLICA IDENTITY FULL");
      s.execute("ALTER TABLE bench.dim REPLICA IDENTITY FULL");
    }
    long srcOid = oid(c, "bench.src");
    long dimOid = oid(c, "bench.dim");
    Recorder recorder = new Recorder(c, srcOid, dimOid);
    String buffer = "pgtrickle_changes.changes_" + srcOid;
    Map<String, BenchStreamTable> diff = new LinkedHashMap<>();
    Map<String, BenchStreamTable> auto = new LinkedHashMap<>();
    Map<String, BenchFloor> floors = new LinkedHashMap<>();
    try (Statement s = c.createStatement()) {
      for (Map.Entry<String, String> q : queries.entrySet()) {
        s.execute("CREATE MATERIALIZED VIEW bench.mv_" + q.getKey() + " AS " + q.getValue());
        diff.put(q.getKey(), new BenchStreamTable(c, "st_" + q.getKey(), q.getValue(), srcOid));
        auto.put(q.getKey(), new BenchStreamTable(c, "auto_" + q.getKey(), q.getValue(), srcOid));
        floors.put(q.getKey(), BenchFloor.create(c, q.getKey(), q.getValue()));
      }
      s.execute("VACUUM ANALYZE");
    }
    Map<String, double[]> sums = new LinkedHashMap<>();
    Map<String, StringBuilder> choices = new LinkedHashMap<>();
    double ingestSum = 0;
    for (int cycle = 0; cycle < WARMUP + MEASURED; cycle++) {
      boolean measured = cycle >= WARMUP;
      if (cycle == WARMUP) {
        BenchServerStats.reset(c);
      }
      try (Statement s = c.createStatement()) {
        for (String sql : BenchQueries.cycle(size, rate)) {
          s.execute(sql);
        }
        s.execute("ANALYZE bench.src");
      }
      byte[] batch = recorder.takeBatch();
      // The ingest: the batch into the change buffer, once for every stream table (timed apart).
      long i0 = System.nanoTime();
      ((PGConnection) c)
          .getCopyAPI()
          .copyIn(
              "COPY " + buffer + " (lsn, seq, xid, action, new_row, old_row) FROM STDIN",
              new ByteArrayInputStream(batch));
      double ingest = (System.nanoTime() - i0) / 1e6;
      System.out.printf(
          Locale.ROOT,
          "%d %.0f%% cycle %d: ingest %.1f ms (%d bytes)%n",
          size,
          rate * 100,
          cycle + 1,
          ingest,
          batch.length);
      if (measured) {
        ingestSum += ingest;
      }
      int order = 0;
      for (String q : queries.keySet()) {
        double full = 0;
        // Untimed: the floor's net change, worked out from the query's result (see BenchFloor).
        long floorRows = floors.get(q).prepare(c);
        BenchStreamTable.Result d;
        BenchStreamTable.Result a;
        // Alternate which runs first, so neither always finds the other's pages cached.
        if ((cycle + order++) % 2 == 0) {
          full = refreshMatview(c, q);
          d = diff.get(q).refresh(c, false);
          a = auto.get(q).refresh(c, true);
        } else {
          a = auto.get(q).refresh(c, true);
          d = diff.get(q).refresh(c, false);
          full = refreshMatview(c, q);
        }
        double floor = floors.get(q).apply(c);
        if (d.full()) {
          throw new IllegalStateException(q + ": the differential table refreshed FULL");
        }
        System.out.printf(
            Locale.ROOT,
            "%s %d %.0f%% cycle %d%s: full %.1f ms, diff %.1f ms (%d changes), auto %.1f ms (%s),"
                + " floor %.1f ms (%d rows)%n",
            q,
            size,
            rate * 100,
            cycle + 1,
            measured ? "" : " (warm-up)",
            full,
            d.ms(),
            d.changes(),
            a.ms(),
            a.full() ? "FULL" : "DIFF",
            floor,
            floorRows);
        if (Boolean.getBoolean("bench.phases")) {
          System.out.println("  diff phases (ms): " + diff.get(q).phases);
          System.out.println(
              "  auto phases (ms): " + auto.get(q).phases + " (" + auto.get(q).lastReason + ")");
        }
        if (measured) {
          double[] acc = sums.computeIfAbsent(q, k -> new double[4]);
          acc[0] += full;
          acc[1] += d.ms();
          acc[2] += a.ms();
          acc[3] += floor;
          choices.computeIfAbsent(q, k -> new StringBuilder()).append(a.full() ? 'F' : 'D');
        }
      }
      // Every stream table has consumed the window: the ingest prunes it (untimed), with a DELETE
      // as the worker's BufferPruner does. A TRUNCATE (until 2026-12-01) gave the buffer a new
      // relfilenode, which invalidated every cached plan reading it: each refresh of the next
      // cycle parsed and planned its opening statement and its apply again, which a worker
      // refreshing from a pruned buffer does not.
      try (Statement s = c.createStatement()) {
        s.execute(
            "truncate".equals(System.getProperty("bench.prune"))
                ? "TRUNCATE " + buffer
                : "DELETE FROM " + buffer);
      }
    }
    for (BenchFloor floor : floors.values()) {
      floor.verify(c);
    }
    BenchServerStats.print(c, size + " rows, " + Math.round(rate * 100) + "%");
    List<Cell> out = new ArrayList<>();
    for (String q : queries.keySet()) {
      double[] acc = sums.get(q);
      out.add(
          new Cell(
              q,
              size,
              rate,
              acc[0] / MEASURED,
              acc[1] / MEASURED,
              acc[2] / MEASURED,
              acc[3] / MEASURED,
              ingestSum / MEASURED,
              choices.get(q).toString()));
    }
    return out;
  }

  /**
   * {@code REFRESH MATERIALIZED VIEW}, committed as the worker commits its refreshes (without
   * waiting for the WAL flush, {@link io.pgtrickle.worker.db.AsynchronousCommit}), so FULL and DIFF
   * differ only in how they maintain the table. One round trip: the two statements run in one
   * implicit transaction.
   */
  private static double refreshMatview(Connection c, String q) throws Exception {
    long t0 = System.nanoTime();
    try (Statement s = c.createStatement()) {
      s.execute("SET LOCAL synchronous_commit = off; REFRESH MATERIALIZED VIEW bench.mv_" + q);
    }
    return (System.nanoTime() - t0) / 1e6;
  }

  private static long oid(Connection c, String table) throws Exception {
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT '" + table + "'::regclass::oid")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static List<Integer> ints(String csv) {
    List<Integer> out = new ArrayList<>();
    for (String v : csv.split(",")) {
      out.add(Integer.parseInt(v.trim()));
    }
    return out;
  }

  /**
   * Records the cycle's changes (row triggers into {@code bench.recorded}, untimed) and turns them
   * into the COPY text of change-buffer rows: position = the WAL insert position after the cycle's
   * commits, then seq, xid, action, new_row, old_row.
   */
  static final class Recorder {
    private final Connection c;

    Recorder(Connection c, long srcOid, long dimOid) throws Exception {
      this.c = c;
      try (Statement s = c.createStatement()) {
        for (long oid : new long[] {srcOid, dimOid}) {
          s.execute(
              "CREATE TABLE IF NOT EXISTS pgtrickle_changes.changes_"
                  + oid
                  + " (lsn pg_lsn NOT NULL, seq int NOT NULL, xid bigint NOT NULL, action \"char\" NOT NULL,"
                  + " new_row jsonb, old_row jsonb, PRIMARY KEY (lsn, seq))");
        }
        s.execute("CREATE SEQUENCE bench.seq AS integer CYCLE");
        s.execute(
            "CREATE TABLE bench.recorded (seq int, xid bigint, action \"char\", new_row jsonb, old_row jsonb)");
        s.execute(
            "CREATE FUNCTION bench.record() RETURNS trigger LANGUAGE plpgsql AS $f$ BEGIN"
                + " INSERT INTO bench.recorded VALUES (nextval('bench.seq'), txid_current(),"
                + " CASE TG_OP WHEN 'INSERT' THEN 'I' WHEN 'UPDATE' THEN 'U' ELSE 'D' END,"
                + " CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END,"
                + " CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END); RETURN NULL; END $f$");
        s.execute(
            "CREATE TRIGGER record AFTER INSERT OR UPDATE OR DELETE ON bench.src"
                + " FOR EACH ROW EXECUTE FUNCTION bench.record()");
      }
    }

    byte[] takeBatch() throws Exception {
      String lsn;
      try (Statement s = c.createStatement();
          ResultSet rs = s.executeQuery("SELECT pg_current_wal_insert_lsn()")) {
        rs.next();
        lsn = rs.getString(1);
      }
      ByteArrayOutputStream raw = new ByteArrayOutputStream();
      ((PGConnection) c)
          .getCopyAPI()
          .copyOut(
              "COPY (SELECT seq, xid, action, new_row, old_row FROM bench.recorded ORDER BY seq) TO STDOUT",
              raw);
      try (Statement s = c.createStatement()) {
        s.execute("TRUNCATE bench.recorded");
      }
      StringBuilder out = new StringBuilder();
      for (String line : raw.toString(StandardCharsets.UTF_8).split("\n")) {
        if (!line.isEmpty()) {
          out.append(lsn).append('\t').append(line).append('\n');
        }
      }
      return out.toString().getBytes(StandardCharsets.UTF_8);
    }
  }
}
