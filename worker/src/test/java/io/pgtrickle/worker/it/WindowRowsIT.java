package io.pgtrickle.worker.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.changelog.support.ServerProcess;
import io.pgtrickle.worker.dvm.DifferentialPlanner;
import io.pgtrickle.worker.refresh.RefreshOutcome;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * How a differential apply reads a window's rows (refresh.WindowRelations): the part the refresh's
 * snapshot shows straight from the change buffer, the rest (copied into the buffer by the ingest
 * after the snapshot was taken) inline when it has at most 500 rows, else copied into a temporary
 * table; and each combination of the two. The ingest (a worker child) is stopped before some
 * writes, so that the refresh, which then waits for it, takes its snapshot before their rows are in
 * the buffer; a new ingest copies them while the refresh waits. Every refresh is audited
 * (RefreshAudit: the stream table equals its query in the refresh's snapshot), and whether the rows
 * were copied is read from the refresher's phases ({@code window_copy}). A buffer nobody reads any
 * more is dropped with the refresher's view of it.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class WindowRowsIT {

  private static final String AGG =
      "SELECT grp, sum(v) AS total, count(*) AS n FROM public.items GROUP BY grp";
  private static final String JOIN =
      "SELECT i.id, i.v, t.tag FROM public.items i JOIN public.tags t ON t.item_id = i.id";

  @Test
  void visiblePartFromTheBufferTheRestInlineOrCopied() throws Exception {
    Path dir = ServerProcess.targetDir("window-rows");
    try (PipelineDb db = PipelineDb.start();
        LocalRefresher refresher = new LocalRefresher(db, "rows", new DifferentialPlanner())) {
      db.sql(Workload.TABLES);
      db.sql(
          "INSERT INTO public.items SELECT g, g % 7, g FROM generate_series(1, 5000) g",
          "INSERT INTO public.tags SELECT g, g, 't' || (g % 3) FROM generate_series(1, 5000) g");
      RefreshAudit.install(db);
      db.sql(
          "SELECT pgtrickle.create_stream_table('public.st_agg', $q$"
              + AGG
              + "$q$, '1h',"
              + " 'DIFFERENTIAL')",
          "SELECT pgtrickle.create_stream_table('public.st_join', $q$"
              + JOIN
              + "$q$, '1h',"
              + " 'DIFFERENTIAL')");
      long agg = id(db, "st_agg");
      long join = id(db, "st_join");
      Process cdc =
          Children.cdc(Children.cdcEnv(db, "", "rows", db.changeLogUri()), dir.resolve("cdc.log"));
      Process ingest = ingest(db, dir, 1);
      try {
        db.awaitCaptured();
        db.awaitPopulated(Duration.ofSeconds(60));
        // Populated, then a refresh that knows its window (the capture may have begun after it).
        update(db, 1, 10);
        refresher.refresh(agg);
        refresher.refresh(join);

        // Everything ingested before the refresh: read from the buffer, nothing travels.
        update(db, 11, 60);
        awaitIngested(db);
        assertDifferential(db, refresher, agg, false);
        assertDifferential(db, refresher, join, false);

        // Nothing ingested before the snapshot: the whole window travels inline (50 rows)...
        ingest = afterIngestStops(db, ingest, () -> update(db, 61, 110));
        ingest = refreshWhileIngestStarts(db, refresher, agg, dir, 2, false);
        // ... copied (1,500 rows, more than 500), the other source's window too.
        ingest =
            afterIngestStops(
                db,
                ingest,
                () -> {
                  update(db, 111, 1610);
                  db.sql("UPDATE public.tags SET tag = tag || 'x' WHERE id <= 600");
                });
        ingest = refreshWhileIngestStarts(db, refresher, join, dir, 3, true);

        // Part ingested before the snapshot, part after: the buffer and the rest inline...
        update(db, 1611, 1700);
        ingest =
            afterIngestStops(
                db,
                ingest,
                () -> {
                  update(db, 1701, 1750);
                  db.sql("DELETE FROM public.items WHERE id BETWEEN 4000 AND 4010");
                });
        ingest = refreshWhileIngestStarts(db, refresher, agg, dir, 4, false);
        // ... and the buffer and the rest copied (the join's window covers every change above).
        update(db, 1751, 1800);
        ingest = afterIngestStops(db, ingest, () -> update(db, 1801, 2600));
        ingest = refreshWhileIngestStarts(db, refresher, join, dir, 5, true);

        awaitIngested(db);
        refresher.refresh(agg);
        RefreshAudit.assertEveryRefreshMatched(db);
        RefreshAudit.assertAllEqualQuery(db);

        // A buffer nobody reads any more is dropped, although this refresher's session reads it
        // through a view of its own (the view goes with it).
        String tags = db.one("SELECT 'public.tags'::regclass::oid::text");
        db.sql("SELECT pgtrickle.drop_stream_table('public.st_join')");
        Children.await(
            "the buffer of public.tags dropped",
            Duration.ofSeconds(30),
            () -> db.one("SELECT to_regclass('pgtrickle_changes.changes_" + tags + "')") == null);
        update(db, 2601, 2650);
        awaitIngested(db);
        assertDifferential(db, refresher, agg, false);
      } finally {
        stop(ingest);
        ServerProcess.stop(cdc, 30);
      }
    }
  }

  /**
   * An apply that fails with a data exception on an image the window's net change cancels (a value
   * set to 0 and back: {@code 100 / v}) is rolled back to the plan's savepoint, and the refresh
   * recomputes in the same transaction and records why.
   */
  @Test
  void aFailingApplyIsRolledBackAndTheWindowRecomputed() throws Exception {
    Path dir = ServerProcess.targetDir("window-rows-fallback");
    try (PipelineDb db = PipelineDb.start();
        LocalRefresher refresher = new LocalRefresher(db, "rows", new DifferentialPlanner())) {
      db.sql(Workload.TABLES);
      db.sql("INSERT INTO public.items SELECT g, g % 7, g FROM generate_series(1, 100) g");
      RefreshAudit.install(db);
      db.sql(
          "SELECT pgtrickle.create_stream_table('public.st_q', $q$SELECT id, 100 / v AS q FROM"
              + " public.items WHERE id <= 10$q$, '1h', 'DIFFERENTIAL')");
      long q = id(db, "st_q");
      Process cdc =
          Children.cdc(
              Children.cdcEnv(db, "", "fallback", db.changeLogUri()), dir.resolve("cdc.log"));
      Process ingest = ingest(db, dir, 1);
      try {
        db.awaitCaptured();
        db.awaitPopulated(Duration.ofSeconds(60));
        // The first refresh after the capture began may recompute (its window is not known).
        update(db, 1, 10);
        awaitIngested(db);
        refresher.refresh(q);
        update(db, 1, 10);
        awaitIngested(db);
        assertDifferential(db, refresher, q, false);

        db.sql(
            "UPDATE public.items SET v = 0 WHERE id = 1",
            "UPDATE public.items SET v = 5 WHERE id = 1");
        awaitIngested(db);
        RefreshOutcome o = refresher.refresh(q);
        assertThat(o.action()).isEqualTo("FULL");
        assertThat(o.message())
            .startsWith("recomputed: the differential apply failed with SQLSTATE 22012");
        assertThat(db.one("SELECT q FROM public.st_q WHERE id = 1")).isEqualTo("20");
        // The role and the search path went back with the savepoint: the records were written.
        assertThat(
                db.one(
                    "SELECT count(*) FROM pgtrickle.pgt_refresh_history WHERE pgt_id = ?"
                        + " AND action = 'FULL' AND refresh_reason LIKE 'recomputed:%'",
                    q))
            .isEqualTo("1");
        update(db, 1, 10);
        awaitIngested(db);
        assertDifferential(db, refresher, q, false);
        RefreshAudit.assertEveryRefreshMatched(db);
      } finally {
        stop(ingest);
        ServerProcess.stop(cdc, 30);
      }
    }
  }

  private static long id(PipelineDb db, String name) {
    return Long.parseLong(
        db.one("SELECT pgt_id FROM pgtrickle.pgt_stream_tables WHERE pgt_name = ?", name));
  }

  private static Process ingest(PipelineDb db, Path dir, int n) {
    Map<String, String> env = Children.workerEnv(db, db.changeLogUri(), "ingest-" + n);
    return Children.worker(env, dir.resolve("worker-" + n + ".log"));
  }

  /**
   * Lets the running ingest copy what was written so far, stops it, then writes: the next refresh
   * takes its snapshot before these writes are in the buffer.
   */
  private static Process afterIngestStops(PipelineDb db, Process ingest, Runnable writes)
      throws InterruptedException {
    awaitIngested(db);
    stop(ingest);
    writes.run();
    return ingest;
  }

  private static Process stop(Process p) throws InterruptedException {
    p.destroy();
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    return p;
  }

  /** One transaction per 10 rows, so that the window holds several transactions. */
  private static void update(PipelineDb db, int from, int to) {
    for (int i = from; i <= to; i += 10) {
      db.sql("UPDATE public.items SET v = v + 1 WHERE id BETWEEN " + i + " AND " + (i + 9));
    }
  }

  private static void awaitIngested(PipelineDb db) {
    db.awaitIngested(Duration.ofSeconds(60));
  }

  /** Refreshes while no ingest runs; starts one once the refresh waits for it. */
  private static Process refreshWhileIngestStarts(
      PipelineDb db, LocalRefresher refresher, long pgtId, Path dir, int n, boolean copied)
      throws Exception {
    long copies = refresher.phaseCount("window_copy");
    CompletableFuture<RefreshOutcome> done =
        CompletableFuture.supplyAsync(() -> refresher.refresh(pgtId));
    ServerProcess.sleep(500); // the snapshot is taken; the refresh waits for the ingest
    assertThat(done).isNotDone();
    Process ingest = ingest(db, dir, n);
    RefreshOutcome o = done.get(60, TimeUnit.SECONDS);
    assertThat(o.action()).as("%s", o).isEqualTo("DIFFERENTIAL");
    assertThat(refresher.phaseCount("window_copy") - copies).isEqualTo(copied ? 1 : 0);
    return ingest;
  }

  private static void assertDifferential(
      PipelineDb db, LocalRefresher refresher, long pgtId, boolean copied) {
    long copies = refresher.phaseCount("window_copy");
    RefreshOutcome o = refresher.refresh(pgtId);
    assertThat(o.action()).as("%s", o).isEqualTo("DIFFERENTIAL");
    assertThat(refresher.phaseCount("window_copy") - copies).isEqualTo(copied ? 1 : 0);
  }
}
