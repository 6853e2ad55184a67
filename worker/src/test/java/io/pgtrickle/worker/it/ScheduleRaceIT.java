package io.pgtrickle.worker.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.changelog.support.ServerProcess;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Several workers refresh a stream table once per firing of its schedule, never twice in a row.
 * Each worker's scheduler reads the catalog, then which tables are claimed (a refresh in flight
 * holds its claim); a refresh committing between the two reads looked due and unclaimed, and was
 * run again 20-250 ms later by the same or another worker (seen on 2026-12-06 with 4 workers: 22 to
 * 28 of 80 refreshes a minute of a {@code 1s} table, a cron firing refreshed three times). Now the
 * refresh skips a table whose {@code data_timestamp}, read under its claim, is later than the one
 * the round read.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class ScheduleRaceIT {

  /** Refreshes of one table closer than this: a duplicate (the schedules are 1 s and 2 s). */
  private static final int DUPLICATE_MS = 400;

  @Test
  void threeWorkersRefreshEachFiringOnce() throws Exception {
    Path dir = ServerProcess.targetDir("schedule-race");
    try (PipelineDb db = PipelineDb.start()) {
      db.sql(Workload.TABLES);
      db.sql("INSERT INTO public.items SELECT g, g % 5, g FROM generate_series(1, 200) g");
      for (int k = 2; k <= 7; k++) {
        db.createStreamTable(
            "st_every_" + k, "SELECT id, v FROM public.items WHERE v % " + k + " = 0", "1s");
      }
      db.createStreamTable(
          "st_cron", "SELECT grp, count(*) AS n FROM public.items GROUP BY grp", "*/2 * * * * *");
      Process cdc =
          Children.cdc(
              Children.cdcEnv(db, "", "schedrace", db.changeLogUri()), dir.resolve("cdc.log"));
      List<Process> workers = new ArrayList<>();
      try {
        for (int w = 1; w <= 3; w++) {
          workers.add(
              Children.worker(
                  Children.workerEnv(db, db.changeLogUri(), "w" + w),
                  dir.resolve("worker-" + w + ".log")));
        }
        db.awaitCaptured();
        Children.await(
            "every stream table ACTIVE",
            java.time.Duration.ofSeconds(90),
            () ->
                "0"
                    .equals(
                        db.one(
                            "SELECT count(*) FROM pgtrickle.pgt_stream_tables"
                                + " WHERE status <> 'ACTIVE'")));
        String since = db.one("SELECT clock_timestamp()::text");
        for (int i = 0; i < 20; i++) {
          db.sql("UPDATE public.items SET v = v + 1 WHERE id = " + (1 + i * 7));
          ServerProcess.sleep(1_000);
        }
        String refreshes =
            db.one(
                "SELECT count(*) FROM pgtrickle.pgt_refresh_history"
                    + " WHERE status = 'COMPLETED' AND start_time > ?::timestamptz",
                since);
        List<String> duplicates =
            db.column(
                "SELECT pgt_id || ' ' || start_time || ' ' || coalesce(worker_id, '') || ' after '"
                    + " || prev FROM (SELECT pgt_id, start_time, worker_id, lag(start_time) OVER"
                    + " (PARTITION BY pgt_id ORDER BY start_time) AS prev"
                    + " FROM pgtrickle.pgt_refresh_history"
                    + " WHERE status = 'COMPLETED' AND start_time > ?::timestamptz) h"
                    + " WHERE start_time - prev < interval '"
                    + DUPLICATE_MS
                    + " milliseconds'",
                since);
        assertThat(Integer.parseInt(refreshes))
            .as("refreshes in 20 s of 6 tables every 1 s and one every 2 s")
            .isBetween(60, 150);
        assertThat(duplicates)
            .as("refreshes of a table within %d ms of the last", DUPLICATE_MS)
            .isEmpty();
      } finally {
        for (Process w : workers) {
          w.destroy();
        }
        for (Process w : workers) {
          assertThat(w.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }
        ServerProcess.stop(cdc, 30);
      }
    }
  }
}
