package io.pgtrickle.worker.it;

import static io.pgtrickle.worker.it.StreamTableChecks.assertEqualsQuery;
import static io.pgtrickle.worker.it.StreamTableChecks.awaitStatus;
import static io.pgtrickle.worker.it.StreamTableChecks.refresh;
import static io.pgtrickle.worker.it.StreamTableChecks.status;
import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.changelog.support.ServerProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A source column retyped under a running worker and a real cdc-consumer decoding the same
 * database: {@code int} to {@code float8} in a projection, {@code int} to {@code numeric} under
 * {@code sum}. The worker rebuilds the storage for the query's new column types in a transaction of
 * its own and repopulates it: 2.7 stays 2.7, a sum of 2.75 stays 2.75 (until 2026-12-07 the storage
 * kept its old types and the recompute stored 3, with the stream table ACTIVE). Logical decoding of
 * the database goes on afterwards: a test_decoding slot created before the retype decodes every
 * transaction since (the rebuild and the repopulation included), the cdc-consumer's slot confirms
 * past later inserts, which reach the stream tables differentially. A retype the storage does not
 * need (a column outside the select list) recomputes without a rebuild; a view on a storage column
 * stops the rebuild: a counted failure naming it, nothing rounded, and the way out works.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class SourceRetypeIT {

  @Test
  void retypedSourceColumnsReachTheStorageAndDecodingGoesOn() throws Exception {
    Path dir = ServerProcess.targetDir("source-retype");
    try (PipelineDb db = PipelineDb.start()) {
      db.sql(
          "CREATE TABLE public.rt (id int PRIMARY KEY, a int)",
          "INSERT INTO public.rt VALUES (1, 1), (2, 2)",
          "CREATE TABLE public.rs (id int PRIMARY KEY, g int, a int)",
          "INSERT INTO public.rs VALUES (1, 1, 1), (2, 1, 2), (3, 2, 5)",
          "CREATE TABLE public.rn (id int PRIMARY KEY, a int, v varchar(10), w int)",
          "INSERT INTO public.rn VALUES (1, 1, 'x', 1), (2, 2, 'y', 0)",
          "CREATE TABLE public.rv (id int PRIMARY KEY, a int)",
          "INSERT INTO public.rv VALUES (1, 1), (2, 2)",
          "SELECT pgtrickle.create_stream_table('public.st_rt', 'SELECT id, a FROM public.rt',"
              + " schedule => '1s', refresh_mode => 'DIFFERENTIAL')",
          "SELECT pgtrickle.create_stream_table('public.st_sum',"
              + " 'SELECT g, sum(a) AS s FROM public.rs GROUP BY g',"
              + " schedule => '1s', refresh_mode => 'DIFFERENTIAL')",
          "SELECT pgtrickle.create_stream_table('public.st_rn',"
              + " 'SELECT id, a FROM public.rn WHERE w > 0',"
              + " schedule => '1s', refresh_mode => 'DIFFERENTIAL')",
          "SELECT pgtrickle.create_stream_table('public.st_rv', 'SELECT id, a FROM public.rv',"
              + " schedule => '1s', refresh_mode => 'DIFFERENTIAL')");
      Process cdc =
          Children.cdc(
              Children.cdcEnv(db, "", "sourceretype", db.changeLogUri()), dir.resolve("cdc.log"));
      Process worker =
          Children.worker(
              Children.workerEnv(db, db.changeLogUri(), "solo"), dir.resolve("worker.log"));
      try {
        db.awaitCaptured();
        for (String st : List.of("st_rt", "st_sum", "st_rn", "st_rv")) {
          awaitStatus(db, st, "ACTIVE");
          awaitDifferential(db, st, "UPDATE public." + table(st) + " SET a = a + 1 WHERE id = 1");
        }
        db.sql(
            "CREATE INDEX st_rt_a ON public.st_rt (a)",
            // Fits only an integer column (float8 % integer does not exist): not created again.
            "CREATE INDEX st_rt_a_odd ON public.st_rt ((a % 2))",
            "CREATE INDEX st_rn_a ON public.st_rn (a)",
            // Decodes every transaction from here on, as any logical replication would.
            "SELECT pg_create_logical_replication_slot('audit', 'test_decoding')");
        String mark = db.one("SELECT max(refresh_id)::text FROM pgtrickle.pgt_refresh_history");

        db.sql(
            "ALTER TABLE public.rt ALTER COLUMN a TYPE float8",
            "UPDATE public.rt SET a = 2.7 WHERE id = 2",
            "INSERT INTO public.rt VALUES (3, 0.4)",
            "ALTER TABLE public.rs ALTER COLUMN a TYPE numeric",
            "UPDATE public.rs SET a = 0 WHERE id = 1",
            "UPDATE public.rs SET a = 2.75 WHERE id = 2",
            "INSERT INTO public.rs VALUES (4, 2, 0.4)");
        for (String st : List.of("st_rt", "st_sum")) {
          refresh(db, st);
          assertThat(status(db, st)).isEqualTo("ACTIVE");
        }
        assertThat(db.one("SELECT a FROM public.st_rt WHERE id = 2")).isEqualTo("2.7");
        assertThat(db.one("SELECT a FROM public.st_rt WHERE id = 3")).isEqualTo("0.4");
        assertThat(db.one("SELECT s FROM public.st_sum WHERE g = 1")).isEqualTo("2.75");
        assertThat(db.one("SELECT s FROM public.st_sum WHERE g = 2")).isEqualTo("5.4");
        for (String st : List.of("st_rt", "st_sum")) {
          assertEqualsQuery(db, st);
          // Rebuilt, then repopulated as after a new query.
          assertThat(reasonsSince(db, st, mark)).anyMatch(r -> r.startsWith("initial population"));
        }
        assertThat(columns(db, "st_rt")).startsWith("id integer, a double precision");
        assertThat(columns(db, "st_sum")).startsWith("g integer, s numeric");
        // _reshape drops every column and the indexes on them, and creates the user's indexes
        // again on the new columns where they fit (as alter_stream_table does).
        assertThat(indexes(db, "st_rt")).contains("st_rt_a").doesNotContain("st_rt_a_odd");
        assertThat(
                db.one(
                    "SELECT format_type(a.atttypid, a.atttypmod) FROM pg_index i JOIN pg_attribute a"
                        + " ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]"
                        + " WHERE i.indexrelid = 'public.st_rt_a'::regclass"))
            .isEqualTo("double precision");
        assertThat(Files.readString(dir.resolve("worker.log")))
            .contains("stream table public.st_rt: the columns of rt changed")
            .contains("storage rebuilt")
            .contains(
                "storage rebuilt without the user's index st_rt_a_odd (operator does not exist");
        // The refresh that repopulated the table says which index the rebuild left out, and why.
        assertThat(reasonsSince(db, "st_rt", mark))
            .filteredOn(r -> r.startsWith("initial population"))
            .singleElement()
            .asString()
            .contains(
                "storage rebuilt without the user's index st_rt_a_odd (operator does not exist")
            .doesNotContain("st_rt_a (");
        assertThat(reasonsSince(db, "st_sum", mark))
            .noneMatch(r -> r.contains("without the user's"));

        // Retypes the storage does not need: a column outside the select list, one in WHERE only.
        db.sql(
            "ALTER TABLE public.rn ALTER COLUMN v TYPE varchar(20)",
            "ALTER TABLE public.rn ALTER COLUMN w TYPE numeric",
            "UPDATE public.rn SET w = 0.5, v = 'a longer value' WHERE id = 2");
        refresh(db, "st_rn");
        assertThat(reasonsSince(db, "st_rn", mark))
            .contains("columns of rn changed; recomputed")
            .noneMatch(r -> r.startsWith("initial population"));
        assertEqualsQuery(db, "st_rn");
        assertThat(indexes(db, "st_rn")).contains("st_rn_a");
        assertThat(
                db.one(
                    "SELECT count(*) FROM pg_attribute WHERE attrelid = 'public.st_rn'::regclass"
                        + " AND attisdropped"))
            .as("no column of st_rn dropped (no rebuild)")
            .isEqualTo("0");

        // A view on the storage's column stops the rebuild: a counted failure naming it, the old
        // contents kept (nothing rounded); dropping the view lets the next refresh rebuild.
        db.sql(
            "CREATE VIEW public.v_rv AS SELECT a FROM public.st_rv",
            "ALTER TABLE public.rv ALTER COLUMN a TYPE float8",
            "UPDATE public.rv SET a = 2.7 WHERE id = 2");
        Children.await(
            "st_rv's rebuild refused",
            Duration.ofSeconds(60),
            () ->
                String.valueOf(
                        db.one(
                            "SELECT last_error_message FROM pgtrickle.pgt_stream_tables"
                                + " WHERE pgt_name = 'st_rv'"))
                    .contains("could not be rebuilt"));
        assertThat(
                db.one(
                    "SELECT last_error_message FROM pgtrickle.pgt_stream_tables"
                        + " WHERE pgt_name = 'st_rv'"))
            .contains("view public.v_rv depends on column a", "drop what depends on the storage's");
        assertThat(db.one("SELECT a FROM public.st_rv WHERE id = 2")).isEqualTo("2");
        db.sql("DROP VIEW public.v_rv");
        if ("ERROR".equals(status(db, "st_rv"))) {
          db.sql("SELECT pgtrickle.resume_stream_table('public.st_rv')");
        }
        refresh(db, "st_rv");
        assertEqualsQuery(db, "st_rv");
        assertThat(db.one("SELECT a FROM public.st_rv WHERE id = 2")).isEqualTo("2.7");

        // Logical decoding goes on: later changes are captured and applied differentially, on the
        // new types, exactly.
        for (String st : List.of("st_rt", "st_sum", "st_rv")) {
          awaitDifferential(
              db, st, "UPDATE public." + table(st) + " SET a = a + 0.125 WHERE id = 2");
          assertEqualsQuery(db, st);
        }
        db.sql("INSERT INTO public.rt VALUES (4, 1.5)");
        String lsn = db.one("SELECT pg_current_wal_lsn()::text");
        refresh(db, "st_rt");
        assertThat(db.one("SELECT a FROM public.st_rt WHERE id = 4")).isEqualTo("1.5");
        Children.await(
            "the cdc-consumer's slot confirmed past " + lsn,
            Duration.ofSeconds(30),
            () ->
                "t"
                    .equals(
                        db.one(
                            "SELECT confirmed_flush_lsn >= ?::pg_lsn FROM pg_replication_slots"
                                + " WHERE slot_name = 'sourceretype'",
                            lsn)));
        // Every transaction since before the retype decodes (the rebuilds' and repopulations'
        // too); the failure of 2026-12-07 was an error here, for ever.
        assertThat(
                Long.parseLong(
                    db.one(
                        "SELECT count(*) FROM pg_logical_slot_get_changes('audit', NULL, NULL)"
                            + " WHERE data LIKE 'table public.rt: INSERT:%id[integer]:4 %'")))
            .isEqualTo(1);
        assertThat(Files.readString(dir.resolve("cdc.log"))).doesNotContain("unexpected duplicate");
      } finally {
        worker.destroy();
        assertThat(worker.waitFor(30, TimeUnit.SECONDS)).isTrue();
        ServerProcess.stop(cdc, 30);
      }
    }
  }

  private static String table(String st) {
    return switch (st) {
      case "st_rt" -> "rt";
      case "st_sum" -> "rs";
      case "st_rn" -> "rn";
      default -> "rv";
    };
  }

  /** Runs {@code change} and refreshes until a refresh is DIFFERENTIAL. */
  private static void awaitDifferential(PipelineDb db, String st, String change) {
    Children.await(
        st + " refreshed differentially",
        Duration.ofSeconds(60),
        () -> {
          db.sql(change);
          refresh(db, st);
          return "DIFFERENTIAL".equals(lastHistory(db, st, "action"));
        });
  }

  /** The reasons of the stream table's completed refreshes after the history row {@code mark}. */
  private static List<String> reasonsSince(PipelineDb db, String name, String mark) {
    return db.column(
        "SELECT h.refresh_reason FROM pgtrickle.pgt_refresh_history h"
            + " JOIN pgtrickle.pgt_stream_tables USING (pgt_id) WHERE pgt_name = ?"
            + " AND h.status = 'COMPLETED' AND h.refresh_id > ?::bigint ORDER BY h.refresh_id",
        name,
        mark);
  }

  /** The storage's columns in order, each as {@code name type}. */
  private static String columns(PipelineDb db, String name) {
    return db.one(
        "SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod), ', '"
            + " ORDER BY attnum) FROM pg_attribute WHERE attrelid = ('public.' || ?)::regclass"
            + " AND attnum > 0 AND NOT attisdropped",
        name);
  }

  private static List<String> indexes(PipelineDb db, String name) {
    return db.column(
        "SELECT indexrelid::regclass::text FROM pg_index"
            + " WHERE indrelid = ('public.' || ?)::regclass",
        name);
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
}
