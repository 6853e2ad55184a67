package io.pgtrickle.worker.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.changelog.support.ServerProcess;
import io.pgtrickle.worker.dvm.DifferentialPlanner;
import io.pgtrickle.worker.refresh.RefreshOutcome;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * json and jsonb values round-trip exactly through the real cdc-consumer, change log, ingest and
 * differential refresh: a JSON {@code null} stays a JSON {@code null} (not SQL NULL) in jsonb,
 * json, a {@code jsonb[]} element and a domain over jsonb, json keeps its whitespace, key order and
 * duplicate keys, in INSERT, UPDATE and DELETE images (REPLICA IDENTITY FULL). Stream tables with
 * {@code GROUP BY j}, {@code WHERE j IS NOT NULL} and {@code count(j)} equal their queries after
 * every refresh (compared as row text; json, which has no equality, is read as text).
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class JsonNullIT {

  private static final Map<String, String> QUERIES =
      Map.of(
          "st_rows",
          "SELECT id, j, j IS NULL AS sql_null, js::text AS js, js IS NULL AS js_null, ja, d, x"
              + " FROM public.jn",
          "st_group",
          "SELECT j, count(*) AS n, count(j) AS nj, sum(x) AS sx FROM public.jn GROUP BY j",
          "st_where",
          "SELECT id, j, js::text AS js FROM public.jn WHERE j IS NOT NULL");

  @Test
  void jsonNullStaysJsonNullAndJsonTextStaysAsStored() throws Exception {
    Path dir = ServerProcess.targetDir("json-null");
    try (PipelineDb db = PipelineDb.start();
        LocalRefresher refresher = new LocalRefresher(db, "jsonnull", new DifferentialPlanner())) {
      db.sql(
          "CREATE DOMAIN public.jdoc AS jsonb",
          "CREATE TABLE public.jn (id bigint PRIMARY KEY, j jsonb, js json, ja jsonb[],"
              + " d public.jdoc, x int)",
          "ALTER TABLE public.jn REPLICA IDENTITY FULL",
          "INSERT INTO public.jn VALUES (1, 'null', 'null', '{null}', 'null', 0),"
              + " (2, NULL, NULL, NULL, NULL, 0), (3, '{\"a\": 1}', '{\"a\": 1}', '{}', '1', 0)");
      for (String name : QUERIES.keySet()) {
        db.sql(
            "SELECT pgtrickle.create_stream_table('public."
                + name
                + "', $q$"
                + QUERIES.get(name)
                + "$q$, '1h', 'DIFFERENTIAL')");
      }
      Process cdc =
          Children.cdc(
              Children.cdcEnv(db, "", "jsonnull", db.changeLogUri()), dir.resolve("cdc.log"));
      Process worker =
          Children.worker(
              Children.workerEnv(db, db.changeLogUri(), "ingest"), dir.resolve("worker.log"));
      try {
        db.awaitCaptured();
        db.awaitPopulated(Duration.ofSeconds(60));
        refreshAll(db, refresher);
        String[][] rounds = {
          {
            "INSERT INTO public.jn VALUES (4, 'null', ' {\"b\": 1,  \"a\" : [1,2]} ',"
                + " '{null,NULL,\"{\\\"k\\\": null}\"}', 'null', 0),"
                + " (5, NULL, 'null', '{NULL}', NULL, 0), (6, '{\"k\": null}', '\"s\"', '{}',"
                + " '{\"z\": null}', 0), (7, '\"null\"', '  null ', '{\"null\"}', '\"x\"', 0)"
          },
          {
            "UPDATE public.jn SET x = x + 1 WHERE id IN (1, 3, 4, 5)",
            "UPDATE public.jn SET j = 'null', js = '[ 1 ,2 ]' WHERE id = 6",
            "UPDATE public.jn SET j = NULL WHERE id = 7"
          },
          {"DELETE FROM public.jn WHERE id IN (1, 4)", "UPDATE public.jn SET x = 9 WHERE id = 2"},
          // Duplicate keys, which json keeps (before 2026-12-07 they stopped the cdc-consumer).
          {"UPDATE public.jn SET js = '{\"a\": 1, \"a\": 2}' WHERE id = 3"},
        };
        for (String[] round : rounds) {
          db.sql(round);
          db.awaitIngested(Duration.ofSeconds(60));
          for (Map.Entry<String, RefreshOutcome> e : refreshAll(db, refresher).entrySet()) {
            assertThat(e.getValue().action()).as("%s", e.getValue()).isEqualTo("DIFFERENTIAL");
          }
          assertEqualQueriesAsText(db);
        }
        assertThat(
                db.column(
                    "SELECT id || '|' || coalesce(j::text, '-') || '|' || sql_null || '|'"
                        + " || coalesce(js::text, '-') || '|' || coalesce(ja::text, '-') || '|'"
                        + " || coalesce(d::text, '-') FROM public.st_rows ORDER BY id"))
            .containsExactly(
                "2|-|true|-|-|-",
                "3|{\"a\": 1}|false|{\"a\": 1, \"a\": 2}|{}|1",
                "5|-|true|null|{NULL}|-",
                "6|null|false|[ 1 ,2 ]|{}|{\"z\": null}",
                "7|-|true|  null |{\"null\"}|\"x\"");
        assertThat(
                db.column(
                    "SELECT coalesce(j::text, '-') || '|' || n || '|' || nj FROM public.st_group"
                        + " ORDER BY 1"))
            .containsExactly("-|3|0", "null|1|1", "{\"a\": 1}|1|1");
      } finally {
        worker.destroy();
        assertThat(worker.waitFor(30, TimeUnit.SECONDS)).isTrue();
        ServerProcess.stop(cdc, 30);
      }
    }
  }

  /**
   * Every stream table equals its query, compared as row text both ways (EXCEPT ALL): json has no
   * equality operator, and the text shows json exactly as stored.
   */
  private static void assertEqualQueriesAsText(PipelineDb db) {
    for (Map.Entry<String, String> e : QUERIES.entrySet()) {
      String cols =
          db.one(
              "SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) FROM pg_attribute"
                  + " WHERE attrelid = ?::regclass AND attnum > 0 AND NOT attisdropped"
                  + " AND attname NOT LIKE '\\_\\_pgt\\_%'",
              "public." + e.getKey());
      String query = "SELECT q::text FROM (" + e.getValue() + ") q";
      String table = "SELECT q::text FROM (SELECT " + cols + " FROM public." + e.getKey() + ") q";
      List<String> diff =
          db.column(
              "(("
                  + query
                  + ") EXCEPT ALL ("
                  + table
                  + ")) UNION ALL SELECT 'extra ' || t FROM (("
                  + table
                  + ") EXCEPT ALL ("
                  + query
                  + ")) x(t)");
      assertThat(diff).as("rows of %s differing from its query", e.getKey()).isEmpty();
    }
  }

  private static Map<String, RefreshOutcome> refreshAll(PipelineDb db, LocalRefresher refresher) {
    Map<String, RefreshOutcome> out = new TreeMap<>();
    for (String name : QUERIES.keySet()) {
      long id =
          Long.parseLong(
              db.one("SELECT pgt_id FROM pgtrickle.pgt_stream_tables WHERE pgt_name = ?", name));
      out.put(name, refresher.refresh(id));
    }
    return out;
  }
}
