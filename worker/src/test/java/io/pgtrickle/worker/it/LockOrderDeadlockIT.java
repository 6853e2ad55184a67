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
 * A refresh locks its sources {@code IN ACCESS SHARE MODE} in OID order before its snapshot. A user
 * transaction that TRUNCATEs two sources of one stream table in the opposite order deadlocks with
 * it; PostgreSQL aborts one of the two. When that is the refresh, it must be retried, never
 * recorded as an error of the stream table (no failed history row, {@code consecutive_errors} 0,
 * status ACTIVE), and the next refresh must succeed.
 *
 * <p>Deterministic: the user's transaction holds the higher-OID source, the refresh is seen waiting
 * for it (holding the lower), then the user's transaction asks for the lower one. Its session has a
 * {@code deadlock_timeout} of a minute and the refresh's sessions 3 s, so the refresh's backend is
 * the one that detects the deadlock and is aborted.
 */
class LockOrderDeadlockIT {

  @Test
  void aRefreshAbortedByADeadlockIsRetriedWithoutCountingAsAnError() throws Exception {
    try (PipelineDb db = PipelineDb.start();
        LocalRefresher refresher = new LocalRefresher(db, "deadlock")) {
      db.sql(Workload.TABLES);
      db.sql(
          "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET deadlock_timeout = ''3s''',"
              + " current_database()); END $$");
      db.sql(
          "INSERT INTO public.items SELECT g, g % 10, g % 100 FROM generate_series(1, 100) g",
          "INSERT INTO public.tags SELECT g, g, 't' || (g % 4) FROM generate_series(1, 100) g");
      long pgtId = db.createStreamTable("st_tagged", PipelineIT.TAGGED, "1h");
      refresher.refresh(pgtId); // opens the refresher's sessions (deadlock_timeout 3 s)
      assertThat(db.one("SELECT count(*) FROM public.st_tagged")).isEqualTo("20");
      boolean itemsFirst =
          "t".equals(db.one("SELECT 'public.items'::regclass::oid < 'public.tags'::regclass::oid"));
      String lower = itemsFirst ? "public.items" : "public.tags";
      String higher = itemsFirst ? "public.tags" : "public.items";

      RefreshOutcome deadlocked;
      try (Connection t = db.connect();
          Statement s = t.createStatement()) {
        t.setAutoCommit(false);
        s.execute("SET deadlock_timeout = '60s'");
        s.execute("TRUNCATE " + higher);
        CompletableFuture<RefreshOutcome> refresh =
            CompletableFuture.supplyAsync(() -> refresher.attempt(pgtId));
        Children.await(
            "the refresh holding " + lower + " and waiting for " + higher,
            Duration.ofSeconds(30),
            () ->
                "Lock"
                    .equals(
                        db.one(
                            "SELECT wait_event_type FROM pg_stat_activity"
                                + " WHERE application_name = 'pgtrickle-worker local deadlock'")));
        s.execute("TRUNCATE " + lower); // waits until PostgreSQL aborts the refresh
        deadlocked = refresh.get(60, TimeUnit.SECONDS);
        t.commit();
      }
      assertThat(deadlocked.kind()).isEqualTo(RefreshOutcome.Kind.RETRY);
      assertThat(deadlocked.message()).contains("40P01");
      // Not a failure, so not in the catalog: counted where monitoring sees it.
      assertThat(refresher.retries("40P01")).isEqualTo(1.0);
      assertThat(
              db.one(
                  "SELECT status || ' ' || consecutive_errors || ' '"
                      + " || coalesce(last_error_message, '-')"
                      + " FROM pgtrickle.pgt_stream_tables WHERE pgt_id = ?",
                  pgtId))
          .isEqualTo("ACTIVE 0 -");
      assertThat(
              db.one(
                  "SELECT count(*) FROM pgtrickle.pgt_refresh_history"
                      + " WHERE pgt_id = ? AND status <> 'COMPLETED'",
                  pgtId))
          .isEqualTo("0");
      // Retried: the next refresh sees both TRUNCATEs.
      RefreshOutcome again = refresher.refresh(pgtId);
      assertThat(again.kind()).isEqualTo(RefreshOutcome.Kind.COMPLETED);
      assertThat(db.one("SELECT count(*) FROM public.st_tagged")).isEqualTo("0");
      RefreshAudit.assertAllEqualQuery(db);
    }
  }
}
