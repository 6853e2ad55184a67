package io.pgtrickle.worker.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.worker.it.PipelineDb;
import io.pgtrickle.worker.it.Workload;
import java.sql.Connection;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Refresh-history retention on a real catalog: rows past the age limit and beyond the per-table cap
 * go, in batches, within the per-pass bound; the newest rows, other stream tables' rows and the
 * catalog stay.
 */
class HistoryRetentionIT {

  @Test
  void oldRowsAndRowsBeyondTheCapGoInBatches() throws Exception {
    try (PipelineDb db = PipelineDb.start()) {
      db.sql(Workload.TABLES);
      long a = db.createStreamTable("st_a", "SELECT id, v FROM public.items", "1h");
      long b = db.createStreamTable("st_b", "SELECT id, tag FROM public.tags", "1h");
      // st_a: 50 rows of 10 days ago, 30 of the last hour; st_b: 40 of the last hour.
      history(db, a, 50, "10 days");
      history(db, a, 30, "1 hour");
      history(db, b, 40, "1 hour");
      String frontier = db.one("SELECT frontier::text FROM pgtrickle.pgt_stream_tables");

      try (Connection c = db.connect()) {
        // Age only, 7 rows a batch, 20 a pass: three passes for the 50 old rows.
        HistoryRetention byAge = new HistoryRetention(Duration.ofDays(7), 0, 7, 20);
        assertThat(byAge.prune(c)).isEqualTo(20);
        assertThat(byAge.prune(c)).isEqualTo(20);
        assertThat(byAge.prune(c)).isEqualTo(10);
        assertThat(byAge.prune(c)).isZero();
        assertThat(count(db, a)).isEqualTo("30");
        assertThat(count(db, a, "start_time < now() - interval '7 days'")).isEqualTo("0");
        assertThat(count(db, b)).isEqualTo("40");

        // And a cap of 25 rows per stream table: the newest 25 of each stay.
        String newestA = newest(db, a, 25);
        HistoryRetention capped = HistoryRetention.of(Duration.ofDays(7), 25);
        assertThat(capped.prune(c)).isEqualTo(5 + 15);
        assertThat(count(db, a)).isEqualTo("25");
        assertThat(count(db, b)).isEqualTo("25");
        assertThat(newest(db, a, 25)).isEqualTo(newestA);
        assertThat(capped.prune(c)).isZero();

        assertThat(new HistoryRetention(Duration.ZERO, 0, 7, 20).enabled()).isFalse();
        assertThat(new HistoryRetention(Duration.ZERO, 0, 7, 20).prune(c)).isZero();
      }
      assertThat(db.one("SELECT frontier::text FROM pgtrickle.pgt_stream_tables"))
          .isEqualTo(frontier);
    }
  }

  private static void history(PipelineDb db, long pgtId, int rows, String ago) {
    db.sql(
        "INSERT INTO pgtrickle.pgt_refresh_history (pgt_id, start_time, end_time, action, status,"
            + " initiated_by) SELECT "
            + pgtId
            + ", now() - interval '"
            + ago
            + "' + g * interval '1 second', now() - interval '"
            + ago
            + "' + g * interval '1 second', 'FULL', 'COMPLETED', 'SCHEDULER'"
            + " FROM generate_series(1, "
            + rows
            + ") g");
  }

  private static String count(PipelineDb db, long pgtId, String... where) {
    return db.one(
        "SELECT count(*) FROM pgtrickle.pgt_refresh_history WHERE pgt_id = ?"
            + (where.length == 0 ? "" : " AND " + where[0]),
        pgtId);
  }

  private static String newest(PipelineDb db, long pgtId, int n) {
    return db.one(
        "SELECT string_agg(refresh_id::text, ',' ORDER BY refresh_id) FROM (SELECT refresh_id"
            + " FROM pgtrickle.pgt_refresh_history WHERE pgt_id = ? ORDER BY start_time DESC"
            + " LIMIT ?) x",
        pgtId,
        n);
  }
}
