package io.pgtrickle.worker.it;

import static io.pgtrickle.worker.it.StreamTableChecks.refresh;
import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.changelog.support.ServerProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A differential refresh's history says exactly how many storage rows it inserted, updated and
 * deleted, on each way the apply counts them: data-modifying CTEs returning their rows (14), a
 * MERGE between two reads of the table's transaction statistics (16) and a MERGE returning {@code
 * merge_action()} (18); for a keyed table, an aggregate and a table without a key (COUNTED, CTEs on
 * every major). One known batch: 3 inserts, 2 updates, 1 delete, and a row inserted and deleted in
 * the same window that leaves no trace. cdc-consumer and worker as child JVMs.
 */
@Timeout(value = 600, unit = TimeUnit.SECONDS)
class RefreshCountsIT {

  @ParameterizedTest
  @ValueSource(ints = {14, 16, 18})
  void aDifferentialRefreshRecordsExactCounts(int major) throws Exception {
    Path dir = ServerProcess.targetDir("refresh-counts-" + major);
    try (PipelineDb db = PipelineDb.start(major)) {
      db.sql(Workload.TABLES);
      db.sql(
          "INSERT INTO public.items SELECT g, g, g FROM generate_series(1, 10) g",
          "CREATE TABLE public.events (k int, v int)", // no key
          "INSERT INTO public.events VALUES (1, 1), (2, 2), (3, 3)");
      for (String[] st :
          new String[][] {
            {"st_rows", "SELECT id, grp, v FROM public.items"},
            {
              "st_groups",
              "SELECT grp, sum(v) AS total, count(*) AS n FROM public.items GROUP BY grp"
            },
            {"st_events", "SELECT k, v FROM public.events"}
          }) {
        db.sql(
            "SELECT pgtrickle.create_stream_table('public."
                + st[0]
                + "', '"
                + st[1]
                + "', '1h', 'DIFFERENTIAL')");
      }
      Process cdc =
          Children.cdc(
              Children.cdcEnv(db, "", "counts", db.changeLogUri()), dir.resolve("cdc.log"));
      Process worker =
          Children.worker(
              Children.workerEnv(db, db.changeLogUri(), "c" + major), dir.resolve("worker.log"));
      try {
        db.awaitCaptured();
        Children.await(
            "stream tables populated",
            Duration.ofSeconds(60),
            () ->
                "3"
                    .equals(
                        db.one(
                            "SELECT count(*) FROM pgtrickle.pgt_stream_tables"
                                + " WHERE is_populated AND status = 'ACTIVE'")));
        // A refresh before the CDC captured a source recomputes; from the next one on the
        // windows are known.
        db.sql("UPDATE public.items SET v = v WHERE id = 10", "UPDATE public.events SET v = v");
        for (String st : new String[] {"st_rows", "st_groups", "st_events"}) {
          refresh(db, st);
        }

        db.sql(
            "INSERT INTO public.items VALUES (11, 11, 11), (12, 12, 12)",
            "INSERT INTO public.items VALUES (13, 13, 13)",
            "UPDATE public.items SET v = v + 100 WHERE id IN (1, 2)",
            "DELETE FROM public.items WHERE id = 3",
            "INSERT INTO public.items VALUES (14, 14, 14)",
            "DELETE FROM public.items WHERE id = 14",
            // No key: 2 inserted copies, an update (one copy deleted, one inserted), a delete,
            // and a row inserted and deleted.
            "INSERT INTO public.events VALUES (4, 4), (4, 4)",
            "UPDATE public.events SET v = 9 WHERE k = 2",
            "DELETE FROM public.events WHERE k = 3",
            "INSERT INTO public.events VALUES (5, 5)",
            "DELETE FROM public.events WHERE k = 5");
        refresh(db, "st_rows");
        refresh(db, "st_groups");
        refresh(db, "st_events");

        // inserted, updated, deleted, source changes in the window
        assertThat(last(db, "st_rows")).isEqualTo("DIFFERENTIAL 3 2 1 8");
        // One group per item: groups 11-13 new, 1 and 2 changed, 3 gone, 14 never stored.
        assertThat(last(db, "st_groups")).isEqualTo("DIFFERENTIAL 3 2 1 8");
        assertThat(last(db, "st_events")).isEqualTo("DIFFERENTIAL 3 0 2 6");
        assertThat(
                db.one(
                    "SELECT total_rows_inserted || ' ' || total_rows_updated || ' '"
                        + " || total_rows_deleted FROM pgtrickle.pg_stat_stream_tables"
                        + " WHERE pgt_name = 'st_rows'"))
            .isEqualTo(
                db.one(
                    "SELECT sum(rows_inserted) || ' ' || sum(rows_updated) || ' '"
                        + " || sum(rows_deleted) FROM pgtrickle.pgt_refresh_history"
                        + " JOIN pgtrickle.pgt_stream_tables USING (pgt_id)"
                        + " WHERE pgt_name = 'st_rows'"));
        assertThat(db.column("SELECT id || ':' || v FROM public.st_rows ORDER BY id"))
            .containsExactly(
                "1:101", "2:102", "4:4", "5:5", "6:6", "7:7", "8:8", "9:9", "10:10", "11:11",
                "12:12", "13:13");
        assertThat(db.column("SELECT k || ':' || v FROM public.st_events ORDER BY k, v"))
            .containsExactly("1:1", "2:9", "4:4", "4:4");
      } finally {
        worker.destroy();
        assertThat(worker.waitFor(30, TimeUnit.SECONDS)).isTrue();
        ServerProcess.stop(cdc, 30);
      }
    }
  }

  /** The last completed refresh: action, rows inserted, updated, deleted, delta_row_count. */
  private static String last(PipelineDb db, String name) {
    return db.one(
        "SELECT concat_ws(' ', h.action, coalesce(h.rows_inserted::text, 'NULL'),"
            + " coalesce(h.rows_updated::text, 'NULL'), coalesce(h.rows_deleted::text, 'NULL'),"
            + " h.delta_row_count)"
            + " FROM pgtrickle.pgt_refresh_history h"
            + " JOIN pgtrickle.pgt_stream_tables USING (pgt_id) WHERE pgt_name = ?"
            + " AND h.status = 'COMPLETED' AND h.action <> 'NO_DATA'"
            + " ORDER BY refresh_id DESC LIMIT 1",
        name);
  }
}
