package io.pgtrickle.worker.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.worker.refresh.RefreshOutcome;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * TRUNCATE is not MVCC-safe: a refresh whose snapshot predates a TRUNCATE but which reads the
 * source after the TRUNCATE commits finds it empty, and its frontier says "every change below L"
 * while the TRUNCATE committed above L (MajorsIT's audit saw it once on PostgreSQL 14). The refresh
 * locks its sources before taking its snapshot, so a TRUNCATE in progress is waited for and shows
 * in the snapshot.
 *
 * <p>Deterministic: the TRUNCATE is left uncommitted while the refresh starts, and committed only
 * once the refresh is seen waiting on a lock.
 */
class TruncateSnapshotIT {

  @Test
  void aRefreshNeverReadsATruncateItsSnapshotDoesNotShow() throws Exception {
    try (PipelineDb db = PipelineDb.start();
        LocalRefresher refresher = new LocalRefresher(db, "trunc")) {
      db.sql(Workload.TABLES);
      db.sql("INSERT INTO public.tags SELECT g, g, 't' || (g % 4) FROM generate_series(1, 100) g");
      long pgtId =
          db.createStreamTable(
              "st_tags", "SELECT tag, count(*) AS n FROM public.tags GROUP BY tag", "1h");
      refresher.refresh(pgtId);
      assertThat(db.one("SELECT count(*) FROM public.st_tags")).isEqualTo("4");

      String[] beforeCommit = new String[1];
      try (Connection t = db.connect();
          Statement s = t.createStatement()) {
        t.setAutoCommit(false);
        s.execute("TRUNCATE public.tags");
        CompletableFuture<RefreshOutcome> refresh =
            CompletableFuture.supplyAsync(() -> refresher.refresh(pgtId));
        Children.await(
            "the refresh waiting for the TRUNCATE's lock",
            Duration.ofSeconds(30),
            () ->
                "Lock"
                    .equals(
                        db.one(
                            "SELECT wait_event_type FROM pg_stat_activity"
                                + " WHERE application_name = 'pgtrickle-worker local trunc'")));
        beforeCommit[0] = db.one("SELECT pg_current_wal_insert_lsn()::text");
        t.commit();
        RefreshOutcome o = refresh.get(60, TimeUnit.SECONDS);
        assertThat(o.kind()).isEqualTo(RefreshOutcome.Kind.COMPLETED);
      }
      String frontier =
          db.one(
              "SELECT frontier -> 'sources' ->> 'public.tags'::regclass::oid::text"
                  + " FROM pgtrickle.pgt_stream_tables WHERE pgt_id = ?",
              pgtId);
      // The contents must be those of the snapshot the frontier names: taken before the
      // TRUNCATE's commit, 4 groups; after it, none.
      boolean afterTruncate =
          "t".equals(db.one("SELECT ?::pg_lsn > ?::pg_lsn", frontier, beforeCommit[0]));
      assertThat(db.one("SELECT count(*) FROM public.st_tags"))
          .as(
              "groups in st_tags after a refresh at %s (the TRUNCATE committed after %s)",
              frontier, beforeCommit[0])
          .isEqualTo(afterTruncate ? "0" : "4");
      RefreshAudit.assertAllEqualQuery(db);
    }
  }
}
