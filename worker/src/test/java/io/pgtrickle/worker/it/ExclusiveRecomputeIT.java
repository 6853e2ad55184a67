package io.pgtrickle.worker.it;

import static io.pgtrickle.worker.it.StreamTableChecks.assertEqualsQuery;
import static io.pgtrickle.worker.it.StreamTableChecks.refresh;
import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.changelog.support.ServerProcess;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Recomputes through the worker (cdc-consumer and worker as child JVMs): a stream table nothing
 * else reads is TRUNCATEd and refilled (a new relfilenode; the plan's index rebuilt and used by the
 * next differential refresh), while one that another stream table reads, one in a publication, and
 * one a reader holds open are recomputed with DELETE + INSERT (same relfilenode) without waiting
 * for the reader, who keeps seeing the old contents; an AUTO table whose last recompute stored
 * fewer than 1,000 rows is recomputed with DELETE + INSERT too. Every result equals the query.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class ExclusiveRecomputeIT {

  @Test
  void truncatesOnlyWhenNothingCanTell() throws Exception {
    Path dir = ServerProcess.targetDir("exclusive-recompute");
    try (PipelineDb db = PipelineDb.start()) {
      db.sql(
          "CREATE TABLE public.xr (id int PRIMARY KEY, v int NOT NULL)",
          "INSERT INTO public.xr SELECT g, g % 7 FROM generate_series(1, 1000) g");
      full(db, "st_solo", "SELECT id, v FROM public.xr");
      full(db, "st_up", "SELECT id, v FROM public.xr WHERE v < 4");
      full(db, "st_down", "SELECT count(*) AS n FROM public.st_up");
      full(db, "st_pub", "SELECT id FROM public.xr WHERE v = 1");
      db.sql(
          "ALTER TABLE public.st_pub REPLICA IDENTITY FULL",
          "CREATE PUBLICATION xr_pub FOR TABLE public.st_pub");
      db.createStreamTable(
          "st_auto", "SELECT id, count(*) AS n, sum(v) AS s FROM public.xr GROUP BY id", "1h");
      db.createStreamTable(
          "st_few", "SELECT v, count(*) AS n, sum(id) AS s FROM public.xr GROUP BY v", "1h");
      Process cdc =
          Children.cdc(
              Children.cdcEnv(db, "", "exclusive", db.changeLogUri()), dir.resolve("cdc.log"));
      Map<String, String> env = Children.workerEnv(db, db.changeLogUri(), "solo");
      Process worker = Children.worker(env, dir.resolve("worker.log"));
      try {
        db.awaitCaptured();
        Children.await(
            "stream tables populated",
            Duration.ofSeconds(60),
            () ->
                "6"
                    .equals(
                        db.one(
                            "SELECT count(*) FROM pgtrickle.pgt_stream_tables"
                                + " WHERE is_populated AND status = 'ACTIVE'")));

        // Nothing else reads st_solo: TRUNCATE and refill.
        String solo = filenode(db, "st_solo");
        db.sql("UPDATE public.xr SET v = v + 1 WHERE id <= 100");
        refresh(db, "st_solo");
        assertThat(filenode(db, "st_solo")).isNotEqualTo(solo);
        assertThat(last(db, "st_solo", "rows_deleted")).isEqualTo("1000");
        assertEqualsQuery(db, "st_solo");

        // st_down reads st_up (and is refreshed every second); st_pub is published: DELETE +
        // INSERT.
        String up = filenode(db, "st_up");
        String pub = filenode(db, "st_pub");
        db.sql("UPDATE public.xr SET v = v + 1 WHERE id <= 200");
        refresh(db, "st_up");
        refresh(db, "st_pub");
        assertThat(last(db, "st_up", "action")).isEqualTo("FULL");
        assertThat(filenode(db, "st_up")).isEqualTo(up);
        assertThat(filenode(db, "st_pub")).isEqualTo(pub);
        assertEqualsQuery(db, "st_up");
        assertEqualsQuery(db, "st_pub");
        Children.await(
            "st_down follows st_up",
            Duration.ofSeconds(60),
            () ->
                db.one("SELECT count(*)::text FROM public.st_up")
                    .equals(db.one("SELECT n::text FROM public.st_down")));

        // A reader holds st_solo: the refresh does not wait for it, the reader's snapshot keeps
        // the old contents.
        try (Connection reader = db.connect()) {
          reader.setAutoCommit(false);
          reader.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
          long before = count(reader, "SELECT sum(v) FROM public.st_solo");
          solo = filenode(db, "st_solo");
          db.sql("UPDATE public.xr SET v = v + 1 WHERE id <= 300");
          refresh(db, "st_solo");
          assertThat(filenode(db, "st_solo")).isEqualTo(solo);
          assertThat(count(reader, "SELECT sum(v) FROM public.st_solo")).isEqualTo(before);
          reader.commit();
        }
        assertEqualsQuery(db, "st_solo");

        // AUTO's recompute (a TRUNCATE of the source forces one) of a table that stored 1,000 rows
        // or more rebuilds the plan's index after the fill; the next window is applied
        // differentially. One that stored fewer (7 groups) is DELETE + INSERT, no lock.
        String auto = filenode(db, "st_auto");
        String few = filenode(db, "st_few");
        db.sql(
            "TRUNCATE public.xr",
            "INSERT INTO public.xr SELECT g, g % 5 FROM generate_series(1, 500) g");
        refresh(db, "st_few");
        assertThat(last(db, "st_few", "action")).isEqualTo("FULL");
        assertThat(filenode(db, "st_few")).isEqualTo(few);
        assertEqualsQuery(db, "st_few");
        refresh(db, "st_auto");
        assertThat(last(db, "st_auto", "action")).isEqualTo("FULL");
        assertThat(filenode(db, "st_auto")).isNotEqualTo(auto);
        assertThat(
                db.one(
                    "SELECT bool_and(i.indisvalid)::text || count(*) FROM pg_index i"
                        + " JOIN pg_class c ON c.oid = i.indexrelid"
                        + " WHERE i.indrelid = 'public.st_auto'::regclass"
                        + " AND c.relname = 'st_auto__pgt_idx'"))
            .isEqualTo("true1");
        assertEqualsQuery(db, "st_auto");
        db.sql("UPDATE public.xr SET v = 9 WHERE id <= 20", "DELETE FROM public.xr WHERE id > 490");
        refresh(db, "st_auto");
        assertThat(last(db, "st_auto", "action")).isEqualTo("DIFFERENTIAL");
        assertEqualsQuery(db, "st_auto");
      } finally {
        worker.destroy();
        assertThat(worker.waitFor(30, TimeUnit.SECONDS)).isTrue();
        ServerProcess.stop(cdc, 30);
      }
    }
  }

  private static void full(PipelineDb db, String name, String query) {
    db.sql(
        "SELECT pgtrickle.create_stream_table('public."
            + name
            + "', '"
            + query
            + "', "
            + (name.equals("st_up") ? "'calculated'" : name.equals("st_down") ? "'1s'" : "'1h'")
            + ", 'FULL')");
  }

  private static String filenode(PipelineDb db, String name) {
    return db.one("SELECT pg_relation_filenode(('public.' || ?)::regclass)::text", name);
  }

  private static long count(Connection c, String sql) throws Exception {
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static String last(PipelineDb db, String name, String column) {
    return db.one(
        "SELECT h."
            + column
            + "::text FROM pgtrickle.pgt_refresh_history h"
            + " JOIN pgtrickle.pgt_stream_tables USING (pgt_id) WHERE pgt_name = ?"
            + " AND h.status = 'COMPLETED' AND h.action <> 'NO_DATA'"
            + " ORDER BY refresh_id DESC LIMIT 1",
        name);
  }
}
