package io.pgtrickle.worker.it;

import io.pgtrickle.changelog.support.ServerProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * A measurement, not a check (skipped unless {@code -Dbigtxn.sizes} is given): how long one large
 * source transaction takes through the pipeline, by size. For each size N (in the given order, so
 * interleave them), one {@code INSERT ... SELECT generate_series} of N rows in one transaction,
 * then the time from its commit until the slot's {@code confirmed_flush_lsn} passed it (capture),
 * until {@code ingested_lsn} did (ingest) and until every stream table's frontier did (visible),
 * with the load average, the server's top statements ({@code pg_stat_statements}, reset per size)
 * and the ingest's metrics. The server logs plans of statements over 150 ms ({@code auto_explain})
 * in {@code target/servers/postgres-*}/postgres.log. See change-log/README.md, <i>One large
 * transaction</i>:
 *
 * <pre>
 * ./mvnw -o -pl worker -Pit verify -Dtest=None -Dsurefire.failIfNoSpecifiedTests=false \
 *   -Dit.test=BigTransactionIT -Dfailsafe.failIfNoSpecifiedTests=false \
 *   -Dbigtxn.sizes=100000,400000,200000,800000 -Dbigtxn.st=6
 * </pre>
 *
 * {@code bigtxn.st}: the number of stream tables on the source (default 2).
 */
@Timeout(value = 3600, unit = TimeUnit.SECONDS)
@EnabledIfSystemProperty(named = "bigtxn.sizes", matches = ".+")
class BigTransactionIT {

  @Test
  void timeThroughThePipelineBySize() throws Exception {
    Path dir = ServerProcess.targetDir("bigtxn");
    String sizesProp = System.getProperty("bigtxn.sizes");
    int nSt = Integer.getInteger("bigtxn.st", 2);
    try (PipelineDb db =
            PipelineDb.start(
                15,
                "-c shared_preload_libraries=pg_stat_statements -c"
                    + " pg_stat_statements.track=all -c max_wal_size=4GB"
                    + " -c session_preload_libraries=auto_explain"
                    + " -c auto_explain.log_min_duration=150 -c auto_explain.log_analyze=on"
                    + " -c auto_explain.log_buffers=on -c auto_explain.log_nested_statements=on"
                    + " -c log_autovacuum_min_duration=0");
        ChangeLogServer changeLog = ChangeLogServer.start("postgres", db, "bigtxn")) {
      String log = changeLog.uri();
      db.sql(
          "CREATE EXTENSION IF NOT EXISTS pg_stat_statements",
          "CREATE TABLE public.items (id bigint PRIMARY KEY, grp int NOT NULL, v int NOT NULL,"
              + " pad text)",
          "INSERT INTO public.items SELECT g, g % 10, g % 100, 'x' FROM generate_series(1, 100) g");
      db.createStreamTable(
          "st_totals",
          "SELECT grp, count(*) AS n, sum(v) AS total FROM public.items GROUP BY grp",
          "1s");
      db.createStreamTable("st_big", "SELECT id, grp, v FROM public.items WHERE v > 98", "1s");
      for (int i = 2; i < nSt; i++) {
        db.createStreamTable(
            "st_g" + i,
            "SELECT grp, max(v) AS m FROM public.items WHERE grp = " + (i % 10) + " GROUP BY grp",
            "1s");
      }
      Process cdc = Children.cdc(Children.cdcEnv(db, "", "bigtxn", log), dir.resolve("cdc.log"));
      Map<String, String> env = Children.workerEnv(db, log, "worker-a");
      int port = Integer.parseInt(env.get("PGTRICKLE_HTTP_PORT"));
      Process worker = null;
      try {
        Children.await(
            "slot",
            Duration.ofSeconds(60),
            () ->
                "1"
                    .equals(
                        db.one(
                            "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'bigtxn'")));
        db.awaitCaptured();
        worker = Children.worker(env, dir.resolve("worker.log"));
        Children.await(
            "worker ready",
            Duration.ofSeconds(60),
            () -> Children.http(port, "/readyz").status() == 200);
        db.awaitPopulated(Duration.ofSeconds(60));
        String oid = db.one("SELECT 'public.items'::regclass::oid::text");
        long next = 1000;
        List<String> table = new ArrayList<>();
        List<String> keys = new ArrayList<>();
        for (String s : sizesProp.split(",")) {
          int n = Integer.parseInt(s.trim());
          Thread.sleep(3000);
          db.sql("SELECT pg_stat_statements_reset()");
          long t0 = System.nanoTime();
          long from = next;
          next += n;
          db.sql(
              "INSERT INTO public.items SELECT g, g % 10, g % 100, repeat('p', 40) FROM"
                  + " generate_series("
                  + from
                  + ", "
                  + (next - 1)
                  + ") g");
          String lsn = db.one("SELECT pg_current_wal_insert_lsn()::text");
          long tInsert = System.nanoTime();
          long tCap = 0;
          long tIng = 0;
          long tVis = 0;
          long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(20);
          while (System.nanoTime() < deadline && (tCap == 0 || tIng == 0 || tVis == 0)) {
            if (tCap == 0
                && "t"
                    .equals(
                        db.one(
                            "SELECT (confirmed_flush_lsn >= ?::pg_lsn)::text::char FROM"
                                + " pg_replication_slots WHERE slot_name='bigtxn'",
                            lsn))) {
              tCap = System.nanoTime();
            }
            if (tIng == 0
                && "t"
                    .equals(
                        db.one(
                            "SELECT bool_and(ingested_lsn >= ?::pg_lsn)::text::char FROM"
                                + " pgtrickle.pgt_change_tracking",
                            lsn))) {
              tIng = System.nanoTime();
            }
            if (tVis == 0
                && db.column(
                        "SELECT st.pgt_name FROM pgtrickle.pgt_stream_tables st"
                            + " WHERE coalesce((st.frontier -> 'sources' ->> ?)::pg_lsn <"
                            + " ?::pg_lsn, true)",
                        oid,
                        lsn)
                    .isEmpty()) {
              tVis = System.nanoTime();
            }
            if (tCap == 0 || tIng == 0) {
              db.sql("SELECT pg_notify('pgtrickle_ingest', '" + lsn + "')");
            }
            Thread.sleep(50);
          }
          String metrics = Children.http(port, "/metrics").body();
          metrics
              .lines()
              .filter(l -> l.startsWith("pg_trickle_ingest") && !l.startsWith("#"))
              .forEach(l -> System.out.println("  MET " + l));
          String line =
              String.format(
                  "BIGTXN n=%d insert=%dms capture=%dms ingest=%dms visible=%dms load=%s",
                  n,
                  (tInsert - t0) / 1_000_000,
                  tCap == 0 ? -1 : (tCap - tInsert) / 1_000_000,
                  tIng == 0 ? -1 : (tIng - tInsert) / 1_000_000,
                  tVis == 0 ? -1 : (tVis - tInsert) / 1_000_000,
                  loadavg());
          System.out.println(line);
          table.add(line);
          keys.add(
              String.format(
                  "bigtxn_%d_capture_ms=%d bigtxn_%d_ingest_ms=%d bigtxn_%d_visible_ms=%d",
                  n,
                  tCap == 0 ? -1 : (tCap - tInsert) / 1_000_000,
                  n,
                  tIng == 0 ? -1 : (tIng - tInsert) / 1_000_000,
                  n,
                  tVis == 0 ? -1 : (tVis - tInsert) / 1_000_000));
          for (String st :
              db.column(
                  "SELECT calls || ' calls ' || round(total_exec_time) || 'ms tot '"
                      + " || round(mean_exec_time::numeric,2) || 'ms mean ' || rows || ' rows | '"
                      + " || left(regexp_replace(query, '\\s+', ' ', 'g'), 200)"
                      + " FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT 12")) {
            System.out.println("  PSS " + st);
          }
          System.out.println(
              "  HIST "
                  + db.column(
                      "SELECT st.pgt_name || ':' || h.action || ':' || h.status || ':' ||"
                          + " round(extract(epoch from (h.end_time - h.start_time))*1000)"
                          + " FROM pgtrickle.pgt_refresh_history h JOIN"
                          + " pgtrickle.pgt_stream_tables st USING (pgt_id) WHERE h.start_time >"
                          + " now() - interval '10 minutes' AND h.action <> 'NO_DATA' ORDER BY"
                          + " h.start_time DESC LIMIT 10"));
        }
        System.out.println("BIGTXN TABLE");
        table.forEach(System.out::println);
        // The last line, machine-readable: per size, ms from the commit (-1: not reached).
        System.out.println(String.join(" ", keys));
      } finally {
        if (worker != null) {
          worker.destroyForcibly();
        }
        ServerProcess.stop(cdc, 30);
      }
    }
  }

  private static String loadavg() {
    try {
      return java.nio.file.Files.readString(Path.of("/proc/loadavg")).trim();
    } catch (java.io.IOException e) {
      return "?";
    }
  }
}
