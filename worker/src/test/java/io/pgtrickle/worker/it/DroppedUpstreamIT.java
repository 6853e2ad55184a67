package io.pgtrickle.worker.it;

import static io.pgtrickle.worker.it.StreamTableChecks.status;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgtrickle.worker.dvm.DifferentialPlanner;
import io.pgtrickle.worker.refresh.RefreshOutcome;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A stream table reading another stream table whose storage table was dropped with plain {@code
 * DROP TABLE} (or {@code DROP SCHEMA ... CASCADE}) goes to ERROR naming it, as one reading a
 * dropped base table does, and {@code refresh_stream_table} of it ends within seconds.
 *
 * <p>A user's trial: {@code drop_stream_table('minmax')} was refused (a stream table reads it), but
 * {@code DROP TABLE minmax} went through and the event trigger removed its catalog row; the reader
 * stayed ACTIVE, refreshed NO_DATA every second ({@code stale = f}) with its frontier entry for the
 * dropped table never advancing, and {@code refresh_stream_table} of it waited for ever.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class DroppedUpstreamIT {

  private static final String ON_MINMAX =
      "SELECT grp > 2 AS hi, sum(mx) AS smx, count(*) AS n FROM public.minmax GROUP BY 1";

  @Test
  void readerOfADroppedStreamTableGoesToErrorAndRefreshEnds() throws Exception {
    try (PipelineDb db = PipelineDb.start();
        LocalRefresher refresher = new LocalRefresher(db, "dropped", new DifferentialPlanner())) {
      db.sql(Workload.TABLES);
      db.sql("CREATE SCHEMA side");
      db.sql("INSERT INTO public.items SELECT g, g % 5, g FROM generate_series(1, 100) g");
      long minmax =
          db.createStreamTable(
              "minmax",
              "SELECT grp, min(v) AS mn, max(v) AS mx FROM public.items GROUP BY grp",
              null);
      long onSt = db.createStreamTable("st_on_st", ON_MINMAX, "1h");
      long idle = db.createStreamTable("st_idle", ON_MINMAX, "1h");
      db.sql(
          "SELECT pgtrickle.create_stream_table('side.up', 'SELECT grp, count(*) AS n"
              + " FROM public.items GROUP BY grp', '1h')");
      long up =
          Long.parseLong(
              db.one("SELECT pgt_id FROM pgtrickle.pgt_stream_tables WHERE pgt_name = 'up'"));
      long onSide = db.createStreamTable("st_on_side", "SELECT sum(n) AS n FROM side.up", "1h");
      long cascUp = db.createStreamTable("casc_up", "SELECT grp FROM public.items", null);
      long onCasc =
          db.createStreamTable("st_on_casc", "SELECT count(*) AS n FROM public.casc_up", "1h");
      for (long id : new long[] {minmax, onSt, idle, up, onSide, cascUp, onCasc}) {
        refresher.refresh(id);
      }

      // A paused upstream: the reader is stale, however recently it was refreshed (its refreshes
      // find nothing new while its source does not move); until 2026-12-07 it read f.
      assertThat(stale(db, "st_on_st")).isEqualTo("f");
      db.sql("SELECT pgtrickle.pause_stream_table('public.minmax')");
      refresher.refresh(onSt);
      assertThat(stale(db, "st_on_st")).isEqualTo("t");
      db.sql("SELECT pgtrickle.resume_stream_table('public.minmax')");
      assertThat(stale(db, "st_on_st")).isEqualTo("f");

      // drop_stream_table refuses (2BP01); DROP TABLE goes through, and the event trigger removes
      // minmax from the catalog.
      assertThatThrownBy(() -> db.sql("SELECT pgtrickle.drop_stream_table('public.minmax')"))
          .cause()
          .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("2BP01"));
      db.sql("DROP TABLE public.minmax");
      assertThat(
              db.one("SELECT count(*) FROM pgtrickle.pgt_stream_tables WHERE pgt_name = 'minmax'"))
          .isEqualTo("0");

      assertThat(stale(db, "st_idle")).as("a reader of a dropped stream table").isEqualTo("t");

      // refresh_stream_table, answered by the refresh: the refresh fails, the reader is in ERROR
      // naming the dropped table, and the waiting call ends with that error.
      CompletableFuture<Throwable> waiting =
          CompletableFuture.supplyAsync(() -> failure(db, "public.st_on_st"));
      Thread.sleep(300);
      RefreshOutcome o = refresher.attempt(onSt);
      assertThat(o.kind())
          .as("refresh after the drop: %s", o)
          .isEqualTo(RefreshOutcome.Kind.FAILED);
      assertThat(status(db, "st_on_st")).isEqualTo("ERROR");
      assertThat(errorOf(db, "st_on_st"))
          .contains("relation \"public.minmax\" does not exist")
          .contains("was dropped since the last refresh");
      Throwable t = waiting.get(10, TimeUnit.SECONDS);
      assertThat(t).hasMessageContaining("refresh of stream table public.st_on_st failed");
      assertThat(t).hasMessageContaining("public.minmax");
      // And called now: at once, from ERROR.
      assertThat(failure(db, "public.st_on_st")).hasMessageContaining("is in ERROR");

      // Nobody refreshing it (no worker, or one that does not know): the wait still ends, within
      // seconds, naming the gone source.
      long t0 = System.nanoTime();
      Throwable alone = failure(db, "public.st_idle");
      assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(15));
      assertThat(alone).hasMessageContaining("st_idle reads a relation that was dropped");
      assertThat(((SQLException) alone).getSQLState()).isEqualTo("42P01");

      // DROP TABLE ... CASCADE (no PostgreSQL dependency links the reader's table to it): the same.
      db.sql("DROP TABLE public.casc_up CASCADE");
      o = refresher.attempt(onCasc);
      assertThat(o.kind())
          .as("refresh after DROP TABLE CASCADE: %s", o)
          .isEqualTo(RefreshOutcome.Kind.FAILED);
      assertThat(errorOf(db, "st_on_casc")).contains("relation \"public.casc_up\" does not exist");

      // DROP SCHEMA ... CASCADE of the upstream's schema: the same.
      db.sql("DROP SCHEMA side CASCADE");
      o = refresher.attempt(onSide);
      assertThat(o.kind())
          .as("refresh after DROP SCHEMA: %s", o)
          .isEqualTo(RefreshOutcome.Kind.FAILED);
      assertThat(status(db, "st_on_side")).isEqualTo("ERROR");
      assertThat(errorOf(db, "st_on_side")).contains("relation \"side.up\" does not exist");
    }
  }

  /** refresh_stream_table's failure (its statement_timeout 30 s), or null if it returned. */
  private static Throwable failure(PipelineDb db, String name) {
    try {
      db.sql(
          "SET statement_timeout = '30s'", "SELECT pgtrickle.refresh_stream_table('" + name + "')");
      return null;
    } catch (RuntimeException e) {
      return e.getCause() instanceof SQLException s ? s : e;
    }
  }

  private static String stale(PipelineDb db, String name) {
    return db.one("SELECT stale FROM pgtrickle.pg_stat_stream_tables WHERE pgt_name = ?", name);
  }

  private static String errorOf(PipelineDb db, String name) {
    return db.one(
        "SELECT last_error_message FROM pgtrickle.pgt_stream_tables WHERE pgt_name = ?", name);
  }
}
