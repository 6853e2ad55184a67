package io.pgtrickle.worker.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.worker.refresh.RefreshOutcome;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A database whose administrator limits application sessions ({@code ALTER DATABASE ... SET
 * statement_timeout}, {@code idle_in_transaction_session_timeout}, from PostgreSQL 17 {@code
 * transaction_timeout}; 30 s is common in production): a refresh that needs longer is still made,
 * since the worker's sessions turn those limits off for themselves ({@code SessionLimits}). Before,
 * a recompute of a large stream table was cancelled ("canceling statement due to statement
 * timeout", SQLSTATE 57014, taken for transient) and retried for ever: the stream table was never
 * refreshed and nothing said why but a log line per attempt.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class DatabaseTimeLimitsIT {

  @ParameterizedTest(name = "PostgreSQL {0}")
  @ValueSource(ints = {15, 17})
  void aRefreshLongerThanTheDatabasesTimeLimitsIsMade(int major) throws Exception {
    List<String> limits =
        new ArrayList<>(List.of("statement_timeout", "idle_in_transaction_session_timeout"));
    if (major >= 17) {
      limits.add("transaction_timeout");
    }
    try (PipelineDb db = PipelineDb.start(major);
        LocalRefresher refresher = new LocalRefresher(db, "limits")) {
      db.sql(
          "CREATE TABLE public.big (id int PRIMARY KEY, v int)",
          "INSERT INTO public.big SELECT g, g % 1000 FROM generate_series(1, 500000) g");
      long pgtId =
          db.createStreamTable(
              "st_big", "SELECT id, md5(md5(v::text || id::text)) AS h FROM public.big", "1h");
      // New sessions of the database (the refresher's among them) get the limits; a recompute of
      // 500,000 rows takes well over 300 ms.
      limits.forEach(l -> db.sql("ALTER DATABASE postgres SET " + l + " = '300ms'"));
      try {
        RefreshOutcome o = refresher.attempt(pgtId);
        assertThat(o.kind()).as(o.toString()).isEqualTo(RefreshOutcome.Kind.COMPLETED);
        assertThat(db.one("SELECT count(*) FROM public.st_big")).isEqualTo("500000");
        assertThat(db.one("SHOW statement_timeout")).as("a session of the test").isEqualTo("300ms");
      } finally {
        limits.forEach(l -> db.sql("ALTER DATABASE postgres RESET " + l));
      }
      RefreshAudit.assertAllEqualQuery(db);
    }
  }
}
