package io.pgtrickle.worker.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.worker.refresh.RefreshOutcome;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Limits a database administrator sets for every session.
 *
 * <p>Time limits: a database whose administrator limits application sessions ({@code ALTER DATABASE
 * ... SET statement_timeout}, {@code idle_in_transaction_session_timeout}, from PostgreSQL 17
 * {@code transaction_timeout}; 30 s is common in production): a refresh that needs longer is still
 * made, since the worker's sessions turn those limits off for themselves ({@code SessionLimits}).
 * Before, a recompute of a large stream table was cancelled ("canceling statement due to statement
 * timeout", SQLSTATE 57014, taken for transient) and retried for ever: the stream table was never
 * refreshed and nothing said why but a log line per attempt.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class DatabaseLimitsIT {

  @ParameterizedTest(name = "PostgreSQL {0}")
  @ValueSource(ints = {15, 17})
  void aRefreshLongerThanTheDatabasesTimeLimitsIsMade(int major) throws Exception {
    List<String> limits =
        new ArrayList<>(
            List.of(
                "statement_timeout",
                "idle_in_transaction_session_timeout",
                "idle_session_timeout"));
    if (major >= 17) {
      limits.add("transaction_timeout");
    }
    try (PipelineDb db = PipelineDb.start(major);
        LocalRefresher refresher = new LocalRefresher(db, "limits")) {
      db.sql(
          "CREATE TABLE public.big (id int PRIMARY KEY, v int)",
          "INSERT INTO public.big SELECT g, g % 1000 FROM generate_series(1, 300000) g");
      long pgtId =
          db.createStreamTable(
              "st_big", "SELECT id, md5(md5(v::text || id::text)) AS h FROM public.big", "1h");
      // New sessions of the database (the refresher's among them) get the limits; a recompute of
      // 300,000 rows takes well over 200 ms.
      limits.forEach(l -> db.sql("ALTER DATABASE postgres SET " + l + " = '200ms'"));
      try {
        RefreshOutcome o = refresher.attempt(pgtId);
        assertThat(o.kind()).as(o.toString()).isEqualTo(RefreshOutcome.Kind.COMPLETED);
        assertThat(db.one("SELECT count(*) FROM public.st_big")).isEqualTo("300000");
        // Idle between refreshes for longer than idle_session_timeout: the same connections serve
        // the next refresh.
        db.sql("UPDATE public.big SET v = v + 1 WHERE id <= 10");
        Thread.sleep(1_000);
        RefreshOutcome again = refresher.attempt(pgtId);
        assertThat(again.kind()).as(again.toString()).isEqualTo(RefreshOutcome.Kind.COMPLETED);
        assertThat(db.one("SHOW statement_timeout")).as("a session of the test").isEqualTo("200ms");
      } finally {
        limits.forEach(l -> db.sql("ALTER DATABASE postgres RESET " + l));
      }
      RefreshAudit.assertAllEqualQuery(db);
    }
  }

  @Test
  void aRecomputeBeyondTempFileLimitPutsTheStreamTableInErrorNamingTheLimit() throws Exception {
    try (PipelineDb db = PipelineDb.start();
        LocalRefresher refresher = new LocalRefresher(db, "temp")) {
      db.sql(
          "CREATE TABLE public.wide (id int PRIMARY KEY, v text)",
          "INSERT INTO public.wide SELECT g, md5(g::text) FROM generate_series(1, 200000) g");
      long pgtId =
          db.createStreamTable(
              "st_wide", "SELECT v, count(*) AS n FROM public.wide GROUP BY v", "1h");
      // The grouping of 200,000 distinct keys in 64 kB of memory spills about 10 MB to disk.
      db.sql(
          "ALTER DATABASE postgres SET work_mem = '64kB'",
          "ALTER DATABASE postgres SET temp_file_limit = '1MB'");
      try {
        for (int attempt = 1; attempt <= 3; attempt++) {
          RefreshOutcome o = refresher.attempt(pgtId);
          assertThat(o.kind()).as(o.toString()).isEqualTo(RefreshOutcome.Kind.FAILED);
          assertThat(o.message()).contains("temp_file_limit").contains("53400");
        }
        assertThat(
                db.one(
                    "SELECT status || ' ' || consecutive_errors || ' ' || last_error_message"
                        + " FROM pgtrickle.pgt_stream_tables WHERE pgt_id = ?",
                    pgtId))
            .startsWith("ERROR 3 ")
            .contains("temporary file size exceeds temp_file_limit");
      } finally {
        db.sql(
            "ALTER DATABASE postgres RESET work_mem",
            "ALTER DATABASE postgres RESET temp_file_limit");
      }
      // Raised by the administrator: a manual refresh (also from ERROR) succeeds.
      assertThat(refresher.attempt(pgtId).kind()).isEqualTo(RefreshOutcome.Kind.COMPLETED);
      RefreshAudit.assertAllEqualQuery(db);
    }
  }
}
