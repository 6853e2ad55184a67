package io.pgtrickle.worker.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgtrickle.changelog.support.ServerProcess;
import io.pgtrickle.worker.dvm.DifferentialPlanner;
import io.pgtrickle.worker.refresh.RefreshOutcome;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A source whose REPLICA IDENTITY the user set back from FULL (which {@code create_stream_table}
 * gives it) to DEFAULT or USING INDEX sends UPDATEs and DELETEs whose old image is only the key,
 * through the real cdc-consumer, change log, ingest and refresh. Before 2026-12-07 the worker
 * applied them differentially as if the key were the whole old row: an aggregate kept the old rows
 * (counts too high), a projection kept a deleted row, both ACTIVE without an error (a user trial).
 * Now such a window is recomputed, with a reason naming the source, its identity and the fix; once
 * the identity is FULL again refreshes are differential again. NOTHING cannot happen: PostgreSQL
 * refuses UPDATE and DELETE of a published table without a replica identity.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class ReplicaIdentityIT {

  private static final String[] TABLES = {"ri_d", "ri_i"};

  private static Map<String, String> queries(String table) {
    Map<String, String> q = new LinkedHashMap<>();
    q.put(
        table + "_agg",
        "SELECT g, sum(v) AS s, count(*) AS n, max(v) AS mx FROM public." + table + " GROUP BY g");
    q.put(table + "_proj", "SELECT id, g, v FROM public." + table + " WHERE v > 5");
    return q;
  }

  @Test
  void keyOnlyOldImagesAreRecomputedWithAReasonNotAppliedWrongly() throws Exception {
    Path dir = ServerProcess.targetDir("replica-identity");
    try (PipelineDb db = PipelineDb.start();
        LocalRefresher refresher = new LocalRefresher(db, "replident", new DifferentialPlanner())) {
      Map<String, String> all = new LinkedHashMap<>();
      for (String t : TABLES) {
        db.sql(
            "CREATE TABLE public." + t + " (id int PRIMARY KEY, g int, v int)",
            "INSERT INTO public." + t + " SELECT i, i % 3, i FROM generate_series(1, 30) i");
        for (Map.Entry<String, String> e : queries(t).entrySet()) {
          db.sql(
              "SELECT pgtrickle.create_stream_table('public."
                  + e.getKey()
                  + "', $q$"
                  + e.getValue()
                  + "$q$, '1h', 'DIFFERENTIAL')");
          all.put(e.getKey(), e.getValue());
        }
        assertThat(db.one("SELECT relreplident::text FROM pg_class WHERE oid = ?::regclass", t))
            .as("create_stream_table gives its sources REPLICA IDENTITY FULL")
            .isEqualTo("f");
      }
      Process cdc =
          Children.cdc(
              Children.cdcEnv(db, "", "replident", db.changeLogUri()), dir.resolve("cdc.log"));
      Process worker =
          Children.worker(
              Children.workerEnv(db, db.changeLogUri(), "ingest"), dir.resolve("worker.log"));
      try {
        db.awaitCaptured();
        db.awaitPopulated(Duration.ofSeconds(60));
        refreshAll(db, refresher, all);

        // The user's change back, then the trial's statements.
        db.sql(
            "ALTER TABLE public.ri_d REPLICA IDENTITY DEFAULT",
            "ALTER TABLE public.ri_i REPLICA IDENTITY USING INDEX ri_i_pkey");
        for (String t : TABLES) {
          db.sql(
              "UPDATE public." + t + " SET v = v + 100 WHERE id <= 10",
              "UPDATE public." + t + " SET g = 5 WHERE id = 11",
              "DELETE FROM public." + t + " WHERE id = 30");
        }
        db.awaitIngested(Duration.ofSeconds(60));
        Map<String, RefreshOutcome> outcomes = refreshAll(db, refresher, all);
        assertEqualQueries(db, all);
        for (Map.Entry<String, RefreshOutcome> e : outcomes.entrySet()) {
          assertThat(e.getValue().kind()).as("%s", e).isEqualTo(RefreshOutcome.Kind.COMPLETED);
          assertThat(e.getValue().action()).as("%s", e).isEqualTo("FULL");
        }
        for (String t : TABLES) {
          assertThat(
                  db.column(
                      "SELECT g || ',' || s || ',' || n || ',' || mx FROM "
                          + t
                          + "_agg ORDER BY g"))
              .containsExactly("0,435,9,109", "1,545,10,110", "2,444,9,108", "5,11,1,11");
          assertThat(db.one("SELECT count(*) FROM " + t + "_proj WHERE id = 30")).isEqualTo("0");
        }
        for (String st : all.keySet()) {
          String source = st.startsWith("ri_d") ? "ri_d" : "ri_i";
          String identity = source.equals("ri_d") ? "DEFAULT" : "USING INDEX";
          String expected =
              source
                  + "'s REPLICA IDENTITY is "
                  + identity
                  + ": its updates and deletes carry only the key; recomputed; ALTER TABLE "
                  + source
                  + " REPLICA IDENTITY FULL restores differential refreshes";
          assertThat(reason(db, st)).as("refresh_reason of %s", st).isEqualTo(expected);
          assertThat(
                  db.one(
                      "SELECT h.refresh_reason FROM pgtrickle.pgt_refresh_history h"
                          + " JOIN pgtrickle.pgt_stream_tables s USING (pgt_id)"
                          + " WHERE s.pgt_name = ? ORDER BY h.refresh_id DESC LIMIT 1",
                      st))
              .as("history of %s", st)
              .isEqualTo(expected);
          assertThat(
                  db.one("SELECT status FROM pgtrickle.pgt_stream_tables WHERE pgt_name = ?", st))
              .isEqualTo("ACTIVE");
        }

        // Inserts carry no old image: still differential while the identity is DEFAULT.
        db.sql(
            "INSERT INTO public.ri_d VALUES (31, 1, 31)",
            "INSERT INTO public.ri_i VALUES (31, 1, 31)");
        db.awaitIngested(Duration.ofSeconds(60));
        for (RefreshOutcome o : refreshAll(db, refresher, all).values()) {
          assertThat(o.action()).as("%s", o).isEqualTo("DIFFERENTIAL");
        }
        assertEqualQueries(db, all);

        // FULL again: differential again.
        db.sql(
            "ALTER TABLE public.ri_d REPLICA IDENTITY FULL",
            "ALTER TABLE public.ri_i REPLICA IDENTITY FULL");
        for (String t : TABLES) {
          db.sql(
              "UPDATE public." + t + " SET v = v - 100 WHERE id <= 5",
              "DELETE FROM public." + t + " WHERE id = 29");
        }
        db.awaitIngested(Duration.ofSeconds(60));
        for (RefreshOutcome o : refreshAll(db, refresher, all).values()) {
          assertThat(o.action()).as("%s", o).isEqualTo("DIFFERENTIAL");
        }
        assertEqualQueries(db, all);

        // NOTHING: PostgreSQL refuses the UPDATE of a published table (55000), nothing to apply.
        db.sql("ALTER TABLE public.ri_d REPLICA IDENTITY NOTHING");
        assertThatThrownBy(() -> db.sql("UPDATE public.ri_d SET v = 0 WHERE id = 12"))
            .hasMessageContaining("replica identity");
        db.sql("ALTER TABLE public.ri_d REPLICA IDENTITY FULL");
      } finally {
        worker.destroy();
        assertThat(worker.waitFor(30, TimeUnit.SECONDS)).isTrue();
        ServerProcess.stop(cdc, 30);
      }
    }
  }

  private static String reason(PipelineDb db, String st) {
    return db.one("SELECT refresh_reason FROM pgtrickle.pgt_stream_tables WHERE pgt_name = ?", st);
  }

  /** Every stream table equals its query, both ways (EXCEPT ALL). */
  private static void assertEqualQueries(PipelineDb db, Map<String, String> queries) {
    for (Map.Entry<String, String> e : queries.entrySet()) {
      String cols =
          db.one(
              "SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) FROM pg_attribute"
                  + " WHERE attrelid = ?::regclass AND attnum > 0 AND NOT attisdropped"
                  + " AND attname NOT LIKE '\\_\\_pgt\\_%'",
              "public." + e.getKey());
      String query = "SELECT q::text FROM (" + e.getValue() + ") q";
      String table = "SELECT q::text FROM (SELECT " + cols + " FROM public." + e.getKey() + ") q";
      List<String> diff =
          db.column(
              "(("
                  + query
                  + ") EXCEPT ALL ("
                  + table
                  + ")) UNION ALL SELECT 'extra ' || t FROM (("
                  + table
                  + ") EXCEPT ALL ("
                  + query
                  + ")) x(t)");
      assertThat(diff).as("rows of %s differing from its query", e.getKey()).isEmpty();
    }
  }

  private static Map<String, RefreshOutcome> refreshAll(
      PipelineDb db, LocalRefresher refresher, Map<String, String> queries) {
    Map<String, RefreshOutcome> out = new LinkedHashMap<>();
    for (String name : queries.keySet()) {
      long id =
          Long.parseLong(
              db.one("SELECT pgt_id FROM pgtrickle.pgt_stream_tables WHERE pgt_name = ?", name));
      out.put(name, refresher.refresh(id));
    }
    return out;
  }
}
