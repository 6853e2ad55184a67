package io.pgtrickle.worker.it;

import static io.pgtrickle.worker.it.StreamTableChecks.assertEqualsQuery;
import static io.pgtrickle.worker.it.StreamTableChecks.refresh;
import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.changelog.support.ServerProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The differential engine inside the worker (issue #13): cdc-consumer and worker as child JVMs,
 * stream tables refreshed with {@code refresh_stream_table}. Under AUTO a small batch is applied
 * DIFFERENTIAL and a batch touching every row of the source is recomputed (FULL), decided from the
 * durations this worker measured and recorded with the prediction in the history's reason; {@code
 * explain_stream_table} shows the delta statement the worker runs; a table without a primary key
 * keeps its duplicates counted.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class DifferentialRefreshIT {

  private static final int ROWS = 300_000;

  @Test
  void autoChoosesFromMeasuredCostsAndKeylessDuplicatesCount() throws Exception {
    Path dir = ServerProcess.targetDir("differential-refresh");
    try (PipelineDb db = PipelineDb.start()) {
      db.sql(Workload.TABLES);
      db.sql(
          "INSERT INTO public.items SELECT g, g % 50, g FROM generate_series(1, " + ROWS + ") g",
          "CREATE TABLE public.events (k int, v int)", // no key
          "INSERT INTO public.events VALUES (1, 1), (1, 1), (2, NULL), (3, 5)");
      db.createStreamTable(
          "st_agg",
          "SELECT grp, sum(v) AS total, count(*) AS n, max(v) AS top FROM public.items GROUP BY grp",
          "1h");
      // Small tables recompute faster than any delta applies: these two ask for DIFFERENTIAL.
      db.sql(
          "SELECT pgtrickle.create_stream_table('public.st_events',"
              + " 'SELECT k, v FROM public.events WHERE k < 3', '1h', 'DIFFERENTIAL')",
          "SELECT pgtrickle.create_stream_table('public.st_shape',"
              + " 'SELECT grp, max(v) AS v FROM public.items GROUP BY grp', '1h', 'DIFFERENTIAL')");
      Process cdc =
          Children.cdc(
              Children.cdcEnv(db, "", "differential", db.changeLogUri()), dir.resolve("cdc.log"));
      Map<String, String> env = Children.workerEnv(db, db.changeLogUri(), "solo");
      Process worker = Children.worker(env, dir.resolve("worker.log"));
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
        assertThat(db.one("SELECT count(*) FROM pgtrickle.pgt_stream_tables")).isEqualTo("3");

        // The stream tables may have been populated before the CDC captured their sources: the
        // refresh after that recomputes (its window is not known). From then on windows are known.
        db.sql("UPDATE public.items SET v = v + 1 WHERE id <= 10");
        db.sql("INSERT INTO public.events VALUES (5, 5)");
        refresh(db, "st_agg");
        refresh(db, "st_events");
        refresh(db, "st_shape");

        // Small batches: applied differentially (and measured).
        for (int i = 0; i < 3; i++) {
          db.sql("UPDATE public.items SET v = v + 1 WHERE id <= 10");
          refresh(db, "st_agg");
          assertLastAction(db, "st_agg").isEqualTo("DIFFERENTIAL");
          assertEqualsQuery(db, "st_agg");
        }
        assertThat(db.one("SELECT pgtrickle.explain_stream_table('public.st_agg')"))
            .contains("Differential refresh SQL:")
            .contains("MERGE INTO")
            .contains("pg_temp.pgt_buffer_")
            .contains("jsonb_to_recordset");

        // A tenth of the source changed: a recompute is cheaper, as measured.
        db.sql("UPDATE public.items SET v = v + 1 WHERE id <= " + ROWS / 10);
        refresh(db, "st_agg");
        assertLastAction(db, "st_agg").isEqualTo("FULL");
        assertThat(last(db, "st_agg", "refresh_reason"))
            .startsWith("AUTO chose FULL: predicted differential")
            .contains("for " + ROWS / 10 + " changes");
        assertEqualsQuery(db, "st_agg");

        // A small batch again: differential.
        db.sql(
            "DELETE FROM public.items WHERE id = 7", "INSERT INTO public.items VALUES (0, 3, 0)");
        refresh(db, "st_agg");
        assertLastAction(db, "st_agg").isEqualTo("DIFFERENTIAL");
        assertEqualsQuery(db, "st_agg");

        // No key: duplicates are rows of their own, removed one at a time.
        db.sql("INSERT INTO public.events VALUES (1, 1), (2, NULL), (4, 4)");
        refresh(db, "st_events");
        assertLastAction(db, "st_events").isEqualTo("DIFFERENTIAL");
        assertEqualsQuery(db, "st_events");
        db.sql(
            "DELETE FROM public.events WHERE ctid IN"
                + " (SELECT ctid FROM public.events WHERE k = 1 LIMIT 2)",
            "UPDATE public.events SET v = 9 WHERE ctid IN"
                + " (SELECT ctid FROM public.events WHERE k = 2 LIMIT 1)");
        refresh(db, "st_events");
        assertLastAction(db, "st_events").isEqualTo("DIFFERENTIAL");
        assertEqualsQuery(db, "st_events");
        assertThat(db.column("SELECT k || ':' || coalesce(v::text, '-') FROM public.st_events"))
            .containsExactlyInAnyOrder("1:1", "2:-", "2:9");

        // The query changed, same output columns: the storage is kept, its bookkeeping follows the
        // new layout (one row per group, unique on grp -> one row per item, keyed by the hidden
        // id).
        db.sql(
            "SELECT pgtrickle.alter_stream_table('public.st_shape',"
                + " query => 'SELECT grp, v FROM public.items WHERE id <= 100')");
        refresh(db, "st_shape");
        assertEqualsQuery(db, "st_shape");
        db.sql("UPDATE public.items SET grp = 1 WHERE id BETWEEN 20 AND 40");
        refresh(db, "st_shape");
        assertLastAction(db, "st_shape").isEqualTo("DIFFERENTIAL");
        assertEqualsQuery(db, "st_shape");
        assertThat(
                db.column(
                    "SELECT attname FROM pg_attribute WHERE attrelid = 'public.st_shape'::regclass"
                        + " AND attnum > 0 AND NOT attisdropped ORDER BY attnum"))
            .containsExactly("grp", "v", "__pgt_id_1");
      } finally {
        worker.destroy();
        assertThat(worker.waitFor(30, TimeUnit.SECONDS)).isTrue();
        ServerProcess.stop(cdc, 30);
      }
    }
  }

  /** The last completed refresh's action, with its reason in the failure message. */
  private static org.assertj.core.api.AbstractStringAssert<?> assertLastAction(
      PipelineDb db, String name) {
    return assertThat(last(db, name, "action"))
        .as("%s: %s", name, last(db, name, "refresh_reason"));
  }

  private static String last(PipelineDb db, String name, String column) {
    return db.one(
        "SELECT h."
            + column
            + " FROM pgtrickle.pgt_refresh_history h"
            + " JOIN pgtrickle.pgt_stream_tables USING (pgt_id) WHERE pgt_name = ?"
            + " AND h.status = 'COMPLETED' AND h.action <> 'NO_DATA'"
            + " ORDER BY refresh_id DESC LIMIT 1",
        name);
  }
}
