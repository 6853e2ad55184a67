package io.pgtrickle.worker.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.SQLException;
import org.junit.jupiter.api.Test;

/**
 * A stream table reading another stream table claims freshness only as far as its source is fresh.
 *
 * <p>KillIT once found {@code st_top} (reading {@code st_totals}) 20 rows off its query at the end:
 * the test waited for every frontier entry of a base table to pass the end of the load, then
 * stopped the workers. {@code st_totals} had just been refreshed past the end, {@code st_top} not
 * since, and nothing could tell: the entry for a stream-table source was the refresh's snapshot
 * LSN, whatever the source's own freshness. The same made {@code refresh_stream_table} of a chained
 * stream table able to return before the changes reached it (a scheduled refresh of the reader
 * racing the requested refresh of its source). The entry is now the source's own lowest position,
 * as seen in the snapshot.
 */
class ChainFreshnessIT {

  @Test
  void readerOfAStreamTableIsFreshOnlyAsFarAsItsSource() {
    try (PipelineDb db = PipelineDb.start();
        LocalRefresher refresher = new LocalRefresher(db, "chain")) {
      db.sql(Workload.TABLES);
      db.sql("INSERT INTO public.items SELECT g, g % 10, g FROM generate_series(1, 200) g");
      long totals = db.createStreamTable("st_totals", PipelineIT.TOTALS, null);
      long top = db.createStreamTable("st_top", PipelineIT.TOP, "1h");
      long topOfTop = db.createStreamTable("st_top2", "SELECT grp FROM public.st_top", "1h");
      String loaded = lsn(db);
      refresher.refresh(totals);
      refresher.refresh(top);
      refresher.refresh(topOfTop);
      assertThat(caughtUp(db, top, loaded)).isTrue();
      assertThat(caughtUp(db, topOfTop, loaded)).isTrue();

      db.sql("UPDATE public.items SET v = v + 1000 WHERE grp < 5");
      String target = lsn(db);
      // The reader alone: its source does not show the update yet, nor may the reader claim to.
      refresher.refresh(top);
      refresher.refresh(topOfTop);
      assertThat(caughtUp(db, top, target))
          .as("st_top refreshed while st_totals is stale claims to be fresh at %s", target)
          .isFalse();
      assertThat(caughtUp(db, topOfTop, target)).as("st_top2, two steps away").isFalse();

      refresher.refresh(totals);
      assertThat(caughtUp(db, top, target)).isFalse();
      refresher.refresh(top);
      assertThat(caughtUp(db, top, target)).isTrue();
      assertThat(caughtUp(db, topOfTop, target)).isFalse();
      refresher.refresh(topOfTop);
      assertThat(caughtUp(db, topOfTop, target)).isTrue();
      RefreshAudit.assertAllEqualQuery(db);
      assertThat(db.one("SELECT count(*) FROM public.st_top")).isEqualTo("10");

      // Its source paused: refresh_stream_table of the reader cannot catch up, and says so.
      db.sql("SELECT pgtrickle.pause_stream_table('public.st_totals')");
      db.sql("UPDATE public.items SET v = v + 1 WHERE grp = 1");
      assertThatThrownBy(
              () ->
                  db.sql(
                      "SET statement_timeout = '20s'",
                      "SELECT pgtrickle.refresh_stream_table('public.st_top2')"))
          .hasMessageContaining("st_top2 reads stream table public.st_totals, which is paused")
          .cause()
          .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("55000"));
    }
  }

  private static String lsn(PipelineDb db) {
    return db.one("SELECT pg_current_wal_insert_lsn()::text");
  }

  /** refresh_stream_table's test: every source's frontier entry at or past the target. */
  private static boolean caughtUp(PipelineDb db, long pgtId, String target) {
    return "0"
        .equals(
            db.one(
                "SELECT count(*) FROM pgtrickle.pgt_dependencies d"
                    + " JOIN pgtrickle.pgt_stream_tables t USING (pgt_id)"
                    + " WHERE t.pgt_id = ? AND coalesce((t.frontier -> 'sources'"
                    + " ->> d.source_relid::oid::text)::pg_lsn < ?::pg_lsn, true)",
                pgtId,
                target));
  }
}
