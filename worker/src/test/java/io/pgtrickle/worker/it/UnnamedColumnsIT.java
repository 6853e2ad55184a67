package io.pgtrickle.worker.it;

import static io.pgtrickle.worker.it.StreamTableChecks.refresh;
import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.changelog.support.ServerProcess;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The user trial's shapes, through the front door and a real worker: select-list entries without a
 * name in UNION ALL branches (PostgreSQL names them {@code ?column?}) and in a UNION ALL subquery,
 * under DIFFERENTIAL and AUTO, maintained differentially and equal to their query after every
 * refresh. Before the fix the engine stopped at "select-list entry without a name: 2", every
 * refresh was retried silently, the stream tables stayed INITIALIZING and {@code
 * refresh_stream_table} blocked until its statement_timeout.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class UnnamedColumnsIT {

  private static final List<String> TABLES = List.of("mr5", "mr6", "ty_sum");

  @Test
  void unnamedEntriesInUnionAllAreMaintainedDifferentially() throws Exception {
    Path dir = ServerProcess.targetDir("unnamed-columns");
    try (PipelineDb db = PipelineDb.start()) {
      db.sql(
          "CREATE TABLE public.mr (id int PRIMARY KEY, m text)",
          "INSERT INTO public.mr VALUES (1, 'a'), (2, 'b')");
      RefreshAudit.install(db);
      db.sql(
          "SELECT pgtrickle.create_stream_table('public.mr5', 'SELECT m, 1 FROM public.mr"
              + " UNION ALL SELECT m, 2 FROM public.mr', schedule => '1s',"
              + " refresh_mode => 'DIFFERENTIAL')",
          "SELECT pgtrickle.create_stream_table('public.mr6', 'SELECT m, 1 FROM public.mr"
              + " UNION ALL SELECT m, 2 FROM public.mr', schedule => '1s')",
          "SELECT pgtrickle.create_stream_table('public.ty_sum', 'SELECT x.m, sum(x.cnt) FROM"
              + " (SELECT m, count(*) AS cnt FROM public.mr GROUP BY m UNION ALL"
              + " SELECT DISTINCT m, 1 FROM public.mr) x GROUP BY x.m', schedule => '1s',"
              + " refresh_mode => 'DIFFERENTIAL')");
      assertThat(
              db.column(
                  "SELECT attname FROM pg_attribute WHERE attrelid = 'public.mr5'::regclass"
                      + " AND attnum > 0 AND NOT attisdropped AND attname NOT LIKE '\\_\\_pgt%'"
                      + " ORDER BY attnum"))
          .containsExactly("m", "?column?");
      Process cdc =
          Children.cdc(
              Children.cdcEnv(db, "", "unnamed", db.changeLogUri()), dir.resolve("cdc.log"));
      Process worker =
          Children.worker(
              Children.workerEnv(db, db.changeLogUri(), "solo"), dir.resolve("worker.log"));
      try {
        db.awaitCaptured();
        // The first refresh after the capture began may recompute (its window is not known).
        db.sql("INSERT INTO public.mr VALUES (3, 'a')");
        TABLES.forEach(t -> refresh(db, t));
        db.sql("INSERT INTO public.mr VALUES (4, 'c'), (5, 'b')");
        TABLES.forEach(t -> refresh(db, t));
        db.sql("UPDATE public.mr SET m = 'c' WHERE id = 1");
        TABLES.forEach(t -> refresh(db, t));
        db.sql("DELETE FROM public.mr WHERE id IN (2, 3)");
        TABLES.forEach(t -> refresh(db, t));
        for (String t : TABLES) {
          assertThat(
                  db.one(
                      "SELECT status || ' ' || refresh_mode || ' ' || consecutive_errors"
                          + " FROM pgtrickle.pgt_stream_tables WHERE pgt_name = ?",
                      t))
              .as(t)
              .isEqualTo("ACTIVE DIFFERENTIAL 0");
          if (t.equals("mr6")) {
            continue; // AUTO: small tables may recompute by the cost model
          }
          assertThat(
                  db.one(
                      "SELECT count(*) FROM pgtrickle.pgt_refresh_history h"
                          + " JOIN pgtrickle.pgt_stream_tables USING (pgt_id) WHERE pgt_name = ?"
                          + " AND h.status = 'COMPLETED' AND h.action = 'DIFFERENTIAL'",
                      t))
              .as("differential refreshes of %s", t)
              .isNotEqualTo("0");
        }
        RefreshAudit.assertEveryRefreshMatched(db);
        RefreshAudit.assertAllEqualQuery(db);
      } finally {
        worker.destroy();
        assertThat(worker.waitFor(30, TimeUnit.SECONDS)).isTrue();
        ServerProcess.stop(cdc, 30);
      }
    }
  }
}
