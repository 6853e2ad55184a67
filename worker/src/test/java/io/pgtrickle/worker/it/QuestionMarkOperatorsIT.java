package io.pgtrickle.worker.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.changelog.support.ServerProcess;
import io.pgtrickle.worker.dvm.DifferentialPlanner;
import io.pgtrickle.worker.refresh.RefreshOutcome;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Defining queries using PostgreSQL's {@code ?} operators (jsonb {@code ?}, {@code ?|}, {@code ?&},
 * in WHERE and in the select list), which PgJDBC would take for bind placeholders in a prepared
 * statement: each stream table, FULL, DIFFERENTIAL and AUTO, is refreshed by the worker's refresher
 * after inserts, updates and deletes, and equals its query after every refresh (RefreshAudit) and
 * at the end.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class QuestionMarkOperatorsIT {

  private static final Map<String, String> QUERIES =
      Map.of(
          "st_full",
          "SELECT id, doc FROM public.docs WHERE doc ? 'vip'",
          "st_diff",
          "SELECT id, doc ?| array['a', 'b'] AS any_ab, doc ?& array['a', 'b'] AS all_ab"
              + " FROM public.docs WHERE doc ? 'vip' AND doc->>'note' <> '?'",
          "st_auto",
          "SELECT doc ? 'a' AS has_a, count(*) AS n FROM public.docs"
              + " WHERE doc ?| array['vip', 'b'] GROUP BY doc ? 'a'");
  private static final Map<String, String> MODES =
      Map.of("st_full", "FULL", "st_diff", "DIFFERENTIAL", "st_auto", "AUTO");

  @Test
  void streamTablesWithQuestionMarkOperatorsStayEqualToTheirQueries() throws Exception {
    Path dir = ServerProcess.targetDir("question-mark-operators");
    try (PipelineDb db = PipelineDb.start();
        LocalRefresher refresher = new LocalRefresher(db, "qmark", new DifferentialPlanner())) {
      db.sql(
          "CREATE TABLE public.docs (id bigint PRIMARY KEY, doc jsonb NOT NULL)",
          "INSERT INTO public.docs SELECT g, jsonb_build_object('note', 'n' || g)"
              + " || CASE WHEN g % 2 = 0 THEN '{\"vip\": true}' ELSE '{}' END::jsonb"
              + " || CASE WHEN g % 3 = 0 THEN '{\"a\": 1}' ELSE '{}' END::jsonb"
              + " || CASE WHEN g % 5 = 0 THEN '{\"b\": 2}' ELSE '{}' END::jsonb"
              + " FROM generate_series(1, 200) g");
      RefreshAudit.install(db);
      for (String name : QUERIES.keySet()) {
        db.sql(
            "SELECT pgtrickle.create_stream_table('public."
                + name
                + "', $q$"
                + QUERIES.get(name)
                + "$q$, '1h', '"
                + MODES.get(name)
                + "')");
      }
      Process cdc =
          Children.cdc(Children.cdcEnv(db, "", "qmark", db.changeLogUri()), dir.resolve("cdc.log"));
      Process worker =
          Children.worker(
              Children.workerEnv(db, db.changeLogUri(), "ingest"), dir.resolve("worker.log"));
      try {
        db.awaitCaptured();
        db.awaitPopulated(java.time.Duration.ofSeconds(60));
        // Refreshed once more: the capture may have begun after the population.
        refreshAll(db, refresher);
        String[][] rounds = {
          {
            "INSERT INTO public.docs VALUES (1001, '{\"vip\": 1, \"a\": 1, \"b\": 1}'),"
                + " (1002, '{\"a\": 1}'), (1003, '{\"vip\": 1, \"note\": \"?\"}')"
          },
          {
            "UPDATE public.docs SET doc = doc - 'vip' WHERE id BETWEEN 1 AND 20",
            "UPDATE public.docs SET doc = doc || '{\"a\": 0}' WHERE id BETWEEN 21 AND 40"
          },
          {"DELETE FROM public.docs WHERE id % 7 = 0 OR id = 1001"},
        };
        for (String[] round : rounds) {
          db.sql(round);
          db.awaitIngested(java.time.Duration.ofSeconds(60));
          for (Map.Entry<String, RefreshOutcome> e : refreshAll(db, refresher).entrySet()) {
            String mode = MODES.get(e.getKey());
            if (!mode.equals("AUTO")) {
              assertThat(e.getValue().action()).as("%s", e.getValue()).isEqualTo(mode);
            }
          }
          RefreshAudit.assertAllEqualQuery(db);
        }
        RefreshAudit.assertEveryRefreshMatched(db);
        assertThat(db.one("SELECT pgtrickle.explain_stream_table('public.st_diff')"))
            .contains("MERGE INTO")
            .contains("?|");
        assertThat(db.one("SELECT count(*) FROM public.st_auto")).isEqualTo("2");
      } finally {
        worker.destroy();
        assertThat(worker.waitFor(30, TimeUnit.SECONDS)).isTrue();
        ServerProcess.stop(cdc, 30);
      }
    }
  }

  /** Refreshes every stream table with the test's refresher; fails naming the first error. */
  private static Map<String, RefreshOutcome> refreshAll(PipelineDb db, LocalRefresher refresher) {
    java.util.TreeMap<String, RefreshOutcome> out = new java.util.TreeMap<>();
    for (String name : QUERIES.keySet()) {
      long id =
          Long.parseLong(
              db.one("SELECT pgt_id FROM pgtrickle.pgt_stream_tables WHERE pgt_name = ?", name));
      out.put(name, refresher.refresh(id));
    }
    return out;
  }
}
