package io.pgtrickle.worker.it;

import static io.pgtrickle.worker.it.StreamTableChecks.refresh;
import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.changelog.support.ServerProcess;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The pipeline on every supported major but 15 (which the other tests use): the front door creates
 * a stream table, the cdc-consumer and a worker keep it fresh through inserts, updates, deletes and
 * a TRUNCATE, {@code refresh_stream_table} is answered, and every refresh is audited.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class MajorsIT {

  @ParameterizedTest
  @ValueSource(ints = {14, 16, 17, 18})
  void thePipelineWorksOn(int major) throws Exception {
    Path dir = ServerProcess.targetDir("major-" + major);
    try (PipelineDb db = PipelineDb.start(major)) {
      db.sql(Workload.TABLES);
      db.createStreamTable("st_totals", PipelineIT.TOTALS, "1s");
      db.createStreamTable("st_tagged", PipelineIT.TAGGED, "1s");
      RefreshAudit.install(db);
      Process cdc =
          Children.cdc(Children.cdcEnv(db, "", "major", db.changeLogUri()), dir.resolve("cdc.log"));
      Process worker =
          Children.worker(
              Children.workerEnv(db, db.changeLogUri(), "w" + major), dir.resolve("worker.log"));
      try {
        db.awaitCaptured();
        db.sql(
            "INSERT INTO public.items SELECT g, g % 10, g % 100 FROM generate_series(1, 500) g",
            "INSERT INTO public.tags SELECT g, g, 't' || (g % 4) FROM generate_series(1, 300) g",
            "UPDATE public.items SET v = v + 1, grp = (grp + 1) % 10 WHERE id % 3 = 0",
            "DELETE FROM public.items WHERE id % 7 = 0");
        refresh(db, "st_totals");
        refresh(db, "st_tagged");
        db.sql(
            "TRUNCATE public.tags",
            "INSERT INTO public.tags SELECT g, g, 'x' FROM generate_series(1, 10) g");
        refresh(db, "st_tagged");
        RefreshAudit.assertAllEqualQuery(db);
        RefreshAudit.assertEveryRefreshMatched(db);
        RefreshAudit.assertFrontierChains(db);
        assertThat(db.column("SELECT DISTINCT status FROM pgtrickle.pgt_stream_tables"))
            .containsExactly("ACTIVE");
      } finally {
        worker.destroy();
        assertThat(worker.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(worker.exitValue()).isZero();
        ServerProcess.stop(cdc, 30);
      }
    }
  }
}
