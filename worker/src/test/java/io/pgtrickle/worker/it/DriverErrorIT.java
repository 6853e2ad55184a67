package io.pgtrickle.worker.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.changelog.support.ServerProcess;
import io.pgtrickle.worker.dvm.DifferentialPlanner;
import io.pgtrickle.worker.refresh.RefreshOutcome;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A differential apply that PgJDBC refuses before sending it (a class 22 failure raised by the
 * driver, {@link UnboundParameterPlanner}) is handled as a failing apply is: the refresh recomputes
 * in the same transaction, naming the driver's failure, and records it. Before the fix the rollback
 * to the plan's savepoint, which never reached the server, failed with 3B001 ("savepoint "pgt_plan"
 * does not exist"), and the refresh was retried with that error instead of the cause.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class DriverErrorIT {

  @Test
  void anApplyTheDriverRefusesIsRecomputedAndNamesTheDriversError() throws Exception {
    Path dir = ServerProcess.targetDir("driver-error");
    UnboundParameterPlanner planner = new UnboundParameterPlanner(new DifferentialPlanner());
    try (PipelineDb db = PipelineDb.start();
        LocalRefresher refresher = new LocalRefresher(db, "driver", planner)) {
      db.sql(Workload.TABLES);
      db.sql("INSERT INTO public.items SELECT g, g % 7, g FROM generate_series(1, 100) g");
      RefreshAudit.install(db);
      db.sql(
          "SELECT pgtrickle.create_stream_table('public.st_d', $q$SELECT id, v FROM"
              + " public.items WHERE id <= 50$q$, '1h', 'DIFFERENTIAL')");
      long id =
          Long.parseLong(
              db.one("SELECT pgt_id FROM pgtrickle.pgt_stream_tables WHERE pgt_name = 'st_d'"));
      Process cdc =
          Children.cdc(
              Children.cdcEnv(db, "", "driver", db.changeLogUri()), dir.resolve("cdc.log"));
      Process ingest =
          Children.worker(
              Children.workerEnv(db, db.changeLogUri(), "ingest"), dir.resolve("worker.log"));
      try {
        db.awaitCaptured();
        db.awaitPopulated(Duration.ofSeconds(60));
        // The first refresh after the capture began may recompute (its window is not known).
        db.sql("UPDATE public.items SET v = v + 1 WHERE id <= 10");
        db.awaitIngested(Duration.ofSeconds(60));
        refresher.refresh(id);
        db.sql("UPDATE public.items SET v = v + 1 WHERE id <= 10");
        db.awaitIngested(Duration.ofSeconds(60));
        assertThat(refresher.refresh(id).action()).isEqualTo("DIFFERENTIAL");

        planner.broken.set(true);
        db.sql("UPDATE public.items SET v = 1000 + id WHERE id <= 20");
        db.awaitIngested(Duration.ofSeconds(60));
        RefreshOutcome o = refresher.attempt(id);
        assertThat(o.kind()).as("%s", o).isEqualTo(RefreshOutcome.Kind.COMPLETED);
        assertThat(o.action()).isEqualTo("FULL");
        assertThat(o.message())
            .startsWith("recomputed: the differential apply failed with SQLSTATE 22023");
        assertThat(o.message()).doesNotContain("3B001").doesNotContain("pgt_plan");
        assertThat(db.one("SELECT v FROM public.st_d WHERE id = 7")).isEqualTo("1007");
        assertThat(
                db.one(
                    "SELECT count(*) FROM pgtrickle.pgt_refresh_history WHERE pgt_id = ?"
                        + " AND action = 'FULL' AND refresh_reason LIKE '%22023%'",
                    id))
            .isEqualTo("1");

        planner.broken.set(false);
        db.sql("UPDATE public.items SET v = v + 1 WHERE id <= 10");
        db.awaitIngested(Duration.ofSeconds(60));
        assertThat(refresher.refresh(id).action()).isEqualTo("DIFFERENTIAL");
        RefreshAudit.assertEveryRefreshMatched(db);
      } finally {
        ingest.destroy();
        assertThat(ingest.waitFor(30, TimeUnit.SECONDS)).isTrue();
        ServerProcess.stop(cdc, 30);
      }
    }
  }
}
