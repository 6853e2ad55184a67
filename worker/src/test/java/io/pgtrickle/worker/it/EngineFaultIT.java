package io.pgtrickle.worker.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.worker.refresh.FullPlanner;
import io.pgtrickle.worker.refresh.MaintenancePlanner;
import io.pgtrickle.worker.refresh.RefreshOutcome;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A refresh that fails by a fault of the engine (a planner's {@link IllegalStateException}, as the
 * differential engine's "select-list entry without a name" was) counts as an error: after the limit
 * of consecutive errors (3 here) the stream table is in ERROR naming the exception, with a FAILED
 * history row per attempt, and a {@code refresh_stream_table} waiting for it returns that error.
 * Before the fix every attempt ended RETRY, nothing was recorded, and the waiting call blocked
 * until its statement_timeout.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class EngineFaultIT {

  /** FULL plans, except that planning throws while {@link #broken} is set. */
  private static final class FaultyPlanner {
    final AtomicBoolean broken = new AtomicBoolean(true);
    final MaintenancePlanner planner =
        (c, st) -> {
          if (broken.get()) {
            throw new IllegalStateException("select-list entry without a name: 2");
          }
          return new FullPlanner().plan(c, st);
        };
  }

  @Test
  void anEngineFaultCountsAsAnErrorAndEndsInError() throws Exception {
    FaultyPlanner faulty = new FaultyPlanner();
    try (PipelineDb db = PipelineDb.start();
        LocalRefresher refresher = new LocalRefresher(db, "fault", faulty.planner)) {
      db.sql(Workload.TABLES);
      db.sql("INSERT INTO public.tags SELECT g, g, 't' || (g % 4) FROM generate_series(1, 20) g");
      long pgtId =
          db.createStreamTable(
              "st_fault", "SELECT tag, count(*) AS n FROM public.tags GROUP BY tag", "1h");

      CompletableFuture<String> waiting =
          CompletableFuture.supplyAsync(
              () -> {
                try (Connection c = db.connect();
                    Statement s = c.createStatement()) {
                  s.execute("SET statement_timeout = '120s'");
                  s.execute("SELECT pgtrickle.refresh_stream_table('public.st_fault')");
                  return "returned";
                } catch (SQLException e) {
                  return e.getSQLState() + " " + e.getMessage();
                }
              });
      Children.await(
          "refresh_stream_table waiting",
          Duration.ofSeconds(30),
          () ->
              "1"
                  .equals(
                      db.one(
                          "SELECT count(*) FROM pg_stat_activity"
                              + " WHERE application_name LIKE 'pgtrickle refresh %'")));

      for (int i = 1; i <= 3; i++) {
        RefreshOutcome o = refresher.attempt(pgtId);
        assertThat(o.kind()).as("attempt %s: %s", i, o).isEqualTo(RefreshOutcome.Kind.FAILED);
        assertThat(
                db.one(
                    "SELECT consecutive_errors || ' ' || status FROM pgtrickle.pgt_stream_tables"
                        + " WHERE pgt_id = ?",
                    pgtId))
            .isEqualTo(i + " " + (i < 3 ? "INITIALIZING" : "ERROR"));
      }
      String expected =
          "refresh failed: internal error of the worker: java.lang.IllegalStateException:"
              + " select-list entry without a name: 2";
      assertThat(
              db.one(
                  "SELECT last_error_message FROM pgtrickle.pgt_stream_tables WHERE pgt_id = ?",
                  pgtId))
          .isEqualTo(expected);
      assertThat(
              db.one(
                  "SELECT count(*) FROM pgtrickle.pgt_refresh_history WHERE pgt_id = ?"
                      + " AND status = 'FAILED' AND error_message = ?",
                  pgtId,
                  expected))
          .isEqualTo("3");
      String answer;
      try {
        answer = waiting.get(30, TimeUnit.SECONDS);
      } catch (ExecutionException e) {
        throw new AssertionError(e);
      }
      assertThat(answer).startsWith("55000").contains(expected);

      // Fixed (a new worker version): resumed, refreshed.
      faulty.broken.set(false);
      db.sql("SELECT pgtrickle.resume_stream_table('public.st_fault')");
      assertThat(refresher.refresh(pgtId).kind()).isEqualTo(RefreshOutcome.Kind.COMPLETED);
      assertThat(db.one("SELECT count(*) FROM public.st_fault")).isEqualTo("4");
    }
  }
}
