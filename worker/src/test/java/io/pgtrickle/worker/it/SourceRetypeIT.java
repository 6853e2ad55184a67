package io.pgtrickle.worker.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.changelog.support.ServerProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A source column retyped under a running worker (a user trial): {@code int} to {@code float8} in a
 * projection, {@code int} to {@code numeric} under {@code sum}. The refresh after it recomputes and
 * must store the new values exactly: until 2026-12-07 the storage kept its old column types and the
 * recompute rounded 2.7 to 3 and 2.75 to 3, with the stream table ACTIVE and no error. Also the
 * storage's column order after a rebuild ({@code alter_stream_table} with a query giving other
 * columns): the query's columns first, then the hidden {@code __pgt_*} ones.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class SourceRetypeIT {

  @Test
  void retypedSourceColumnsReachTheStorageExactly() throws Exception {
    Path dir = ServerProcess.targetDir("source-retype");
    try (PipelineDb db = PipelineDb.start()) {
      db.sql(
          "CREATE TABLE public.rt (id int PRIMARY KEY, a int)",
          "INSERT INTO public.rt VALUES (1, 1), (2, 2)",
          "CREATE TABLE public.rs (id int PRIMARY KEY, g int, a int)",
          "INSERT INTO public.rs VALUES (1, 1, 1), (2, 1, 2), (3, 2, 5)",
          "SELECT pgtrickle.create_stream_table('public.st_rt', 'SELECT id, a FROM public.rt',"
              + " schedule => '1s', refresh_mode => 'DIFFERENTIAL')",
          "SELECT pgtrickle.create_stream_table('public.st_sum',"
              + " 'SELECT g, sum(a) AS s FROM public.rs GROUP BY g',"
              + " schedule => '1s', refresh_mode => 'DIFFERENTIAL')");
      Process cdc =
          Children.cdc(
              Children.cdcEnv(db, "", "sourceretype", db.changeLogUri()), dir.resolve("cdc.log"));
      Process worker =
          Children.worker(
              Children.workerEnv(db, db.changeLogUri(), "solo"), dir.resolve("worker.log"));
      try {
        db.awaitCaptured();
        for (String st : new String[] {"st_rt", "st_sum"}) {
          awaitStatus(db, st, "ACTIVE");
          Children.await(
              st + " refreshed differentially",
              Duration.ofSeconds(60),
              () -> {
                db.sql("UPDATE public." + table(st) + " SET a = a + 1 WHERE id = 1");
                refresh(db, st);
                return "DIFFERENTIAL".equals(lastHistory(db, st, "action"));
              });
          assertThat(lastHistory(db, st, "refresh_reason"))
              .isEqualTo("applied 1 change of " + table(st) + " (DIFFERENTIAL requested)");
        }

        db.sql(
            "ALTER TABLE public.rt ALTER COLUMN a TYPE float8",
            "UPDATE public.rt SET a = 2.7 WHERE id = 2",
            "INSERT INTO public.rt VALUES (3, 0.4)");
        db.sql(
            "ALTER TABLE public.rs ALTER COLUMN a TYPE numeric",
            "UPDATE public.rs SET a = 2.75 WHERE id = 2",
            "INSERT INTO public.rs VALUES (4, 2, 0.4)");
        for (String st : new String[] {"st_rt", "st_sum"}) {
          refresh(db, st);
          assertThat(status(db, st)).isEqualTo("ACTIVE");
          assertThat(reasons(db, st)).contains("columns of " + table(st) + " changed; recomputed");
          assertEqualsQuery(db, st);
        }
        assertThat(db.one("SELECT a FROM public.st_rt WHERE id = 2")).isEqualTo("2.7");
        assertThat(db.one("SELECT a FROM public.st_rt WHERE id = 3")).isEqualTo("0.4");
        assertThat(db.one("SELECT s FROM public.st_sum WHERE g = 1")).endsWith(".75");
        assertThat(db.one("SELECT s FROM public.st_sum WHERE g = 2")).isEqualTo("5.4");
        assertThat(columns(db, "st_rt")).startsWith("id integer, a double precision");
        assertThat(columns(db, "st_sum")).startsWith("g integer, s numeric");
        assertQueryColumnsFirst(db, "st_rt", "id", "a");
        assertQueryColumnsFirst(db, "st_sum", "g", "s");

        // Differential again on the new types, exact.
        for (String st : new String[] {"st_rt", "st_sum"}) {
          Children.await(
              st + " differential after the retype",
              Duration.ofSeconds(60),
              () -> {
                db.sql("UPDATE public." + table(st) + " SET a = a + 0.125 WHERE id = 2");
                refresh(db, st);
                return "DIFFERENTIAL".equals(lastHistory(db, st, "action"));
              });
          assertEqualsQuery(db, st);
        }

        // A rebuild for a query with other columns: the query's columns first, in its order.
        db.sql(
            "SELECT pgtrickle.alter_stream_table('public.st_sum',"
                + " query => 'SELECT g AS b, sum(a) AS s FROM public.rs GROUP BY g')");
        refresh(db, "st_sum");
        assertEqualsQuery(db, "st_sum");
        assertQueryColumnsFirst(db, "st_sum", "b", "s");
      } finally {
        worker.destroy();
        assertThat(worker.waitFor(30, TimeUnit.SECONDS)).isTrue();
        ServerProcess.stop(cdc, 30);
      }
    }
  }

  private static java.util.List<String> reasons(PipelineDb db, String name) {
    return db.column(
        "SELECT h.refresh_reason FROM pgtrickle.pgt_refresh_history h"
            + " JOIN pgtrickle.pgt_stream_tables USING (pgt_id) WHERE pgt_name = ?"
            + " AND h.status = 'COMPLETED'",
        name);
  }

  private static String table(String st) {
    return "st_rt".equals(st) ? "rt" : "rs";
  }

  /** The storage's columns in order, each as {@code name type}. */
  private static String columns(PipelineDb db, String name) {
    return db.one(
        "SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod), ', '"
            + " ORDER BY attnum) FROM pg_attribute WHERE attrelid = ('public.' || ?)::regclass"
            + " AND attnum > 0 AND NOT attisdropped",
        name);
  }

  private static void assertQueryColumnsFirst(PipelineDb db, String name, String... query) {
    java.util.List<String> cols =
        db.column(
            "SELECT attname::text FROM pg_attribute WHERE attrelid = ('public.' || ?)::regclass"
                + " AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
            name);
    assertThat(cols.subList(0, query.length)).as("%s: %s", name, cols).containsExactly(query);
    assertThat(cols.subList(query.length, cols.size()))
        .as("%s: %s", name, cols)
        .allMatch(c -> c.startsWith("__pgt_"));
  }

  private static void refresh(PipelineDb db, String name) {
    db.sql(
        "SET statement_timeout = '60s'",
        "SELECT pgtrickle.refresh_stream_table('public." + name + "')");
  }

  private static String status(PipelineDb db, String name) {
    return db.one("SELECT status FROM pgtrickle.pgt_stream_tables WHERE pgt_name = ?", name);
  }

  private static void awaitStatus(PipelineDb db, String name, String status) {
    Children.await(
        name + " " + status, Duration.ofSeconds(60), () -> status.equals(status(db, name)));
  }

  private static String lastHistory(PipelineDb db, String name, String column) {
    return db.one(
        "SELECT h."
            + column
            + " FROM pgtrickle.pgt_refresh_history h"
            + " JOIN pgtrickle.pgt_stream_tables USING (pgt_id) WHERE pgt_name = ?"
            + " AND h.status = 'COMPLETED' ORDER BY refresh_id DESC LIMIT 1",
        name);
  }

  /** Symmetric EXCEPT ALL of the query and the storage's query columns: no row differs. */
  private static void assertEqualsQuery(PipelineDb db, String name) {
    String q =
        db.one("SELECT defining_query FROM pgtrickle.pgt_stream_tables WHERE pgt_name = ?", name);
    String cols =
        db.one(
            "SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) FROM pg_attribute"
                + " WHERE attrelid = ('public.' || ?)::regclass AND attnum > 0 AND NOT attisdropped"
                + " AND attname NOT LIKE '\\_\\_pgt\\_%'",
            name);
    String st = "(SELECT " + cols + " FROM public." + name + ")";
    assertThat(
            db.one(
                "SELECT (SELECT count(*) FROM (("
                    + q
                    + ") EXCEPT ALL "
                    + st
                    + ") a) + (SELECT count(*) FROM ("
                    + st
                    + " EXCEPT ALL ("
                    + q
                    + ")) b)"))
        .as("rows of %s differing from its query", name)
        .isEqualTo("0");
  }
}
