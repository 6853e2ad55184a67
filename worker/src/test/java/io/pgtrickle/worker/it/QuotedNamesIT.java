package io.pgtrickle.worker.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.changelog.support.ServerProcess;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The user trial's double quotes in identifiers, through the front door and a real worker: output
 * columns named {@code x"y}, {@code "n}, {@code q"}, and source tables with a column {@code a"b}
 * (PostgreSQL's node tree writes it {@code "a"b"}, the inner quote unescaped), used by some stream
 * tables and not by others, in DIFFERENTIAL and FULL modes; every stream table equals its query
 * after each refresh and the worker stays up. Before the fix the node-tree reader of the worker
 * looped on {@code :resname x"y} until the heap was gone (every worker died of OutOfMemoryError), a
 * source column {@code a"b} made {@code _node_tree_jsonb} fail ("invalid input syntax for type
 * json") or the worker's reader throw StringIndexOutOfBoundsException at every refresh, and a
 * grouped query on such a table was refused as reading no table.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class QuotedNamesIT {

  /** Stream table -> refresh mode. */
  private static final Map<String, String> TABLES =
      Map.of(
          "al1", "DIFFERENTIAL",
          "al2", "FULL",
          "qc1", "DIFFERENTIAL",
          "qc2", "DIFFERENTIAL",
          "qc3", "FULL",
          "qc4", "DIFFERENTIAL",
          "typ_day", "DIFFERENTIAL");

  @Test
  void quotesInOutputAndSourceColumnNamesAreMaintained() throws Exception {
    Path dir = ServerProcess.targetDir("quoted-names");
    try (PipelineDb db = PipelineDb.start()) {
      db.sql(
          "CREATE TABLE public.cust (id int PRIMARY KEY, name text)",
          "INSERT INTO public.cust VALUES (1, 'a'), (2, 'b')",
          "CREATE TABLE public.qc (id int PRIMARY KEY, \"a\"\"b\" text, v int, \"\"\"x\" int,"
              + " \"e\\f\" text, \"sp (a) {c}\" int)",
          "INSERT INTO public.qc VALUES (1, 'p', 10, 1, 'e', 1), (2, 'q', 20, 2, 'f', 2)",
          "CREATE TABLE public.typ (id int PRIMARY KEY, ts timestamptz, \"a\"\"b\" text, n numeric,"
              + " \"q\"\"\" jsonb, \"\"\"\" text[])",
          "INSERT INTO public.typ VALUES (1, '2026-01-01 10:00+00', 'x', 1, '{}', '{a}'),"
              + " (2, '2026-01-02 10:00+00', 'y', 2, '[]', '{}')");
      RefreshAudit.install(db);
      create(db, "al1", "SELECT id AS \"x\"\"y\", name FROM public.cust");
      create(
          db,
          "al2",
          "SELECT id AS \"x\"\"y\", name AS \"\"\"n\", name AS \"q\"\"\" FROM public.cust");
      create(db, "qc1", "SELECT id, \"a\"\"b\" FROM public.qc");
      create(db, "qc2", "SELECT id, v FROM public.qc");
      create(db, "qc3", "SELECT id, \"a\"\"b\", \"e\\f\", \"sp (a) {c}\" FROM public.qc");
      create(
          db,
          "qc4",
          "SELECT \"a\"\"b\" AS \"g\"\"k\", count(*) AS n, sum(v) AS \"s\"\"\" FROM public.qc"
              + " GROUP BY 1");
      create(
          db,
          "typ_day",
          "SELECT date_trunc('day', ts AT TIME ZONE 'UTC') AS day, count(*) AS n FROM public.typ"
              + " GROUP BY 1");
      assertThat(userColumns(db, "al2")).containsExactly("x\"y", "\"n", "q\"");
      assertThat(userColumns(db, "qc4")).containsExactly("g\"k", "n", "s\"");
      Process cdc =
          Children.cdc(
              Children.cdcEnv(db, "", "quoted", db.changeLogUri()), dir.resolve("cdc.log"));
      Process worker =
          Children.worker(
              Children.workerEnv(db, db.changeLogUri(), "solo"), dir.resolve("worker.log"));
      try {
        db.awaitCaptured();
        // The first refresh after the capture began may recompute (its window is not known).
        write(
            db,
            "INSERT INTO public.cust VALUES (3, 'c')",
            "INSERT INTO public.qc VALUES (3, 'p', 30, 3, 'g', 3)",
            "INSERT INTO public.typ VALUES (3, '2026-01-01 11:00+00', 'z', 3, 'null', NULL)");
        write(
            db,
            "INSERT INTO public.cust VALUES (4, 'd'), (5, 'e')",
            "UPDATE public.qc SET \"a\"\"b\" = 'r', v = v + 1 WHERE id = 1",
            "UPDATE public.typ SET ts = ts + interval '1 day', \"a\"\"b\" = 'w' WHERE id = 1");
        write(
            db,
            "UPDATE public.cust SET name = 'z' WHERE id = 1",
            "UPDATE public.qc SET \"\"\"x\" = 9, \"e\\f\" = 'h' WHERE id = 2",
            "DELETE FROM public.typ WHERE id = 2");
        write(
            db,
            "DELETE FROM public.cust WHERE id IN (2, 3)",
            "DELETE FROM public.qc WHERE id = 3",
            "INSERT INTO public.typ VALUES (4, '2026-01-03 10:00+00', 'v', 4, '1', ARRAY['\"'])");
        for (Map.Entry<String, String> t : TABLES.entrySet()) {
          assertThat(
                  db.one(
                      "SELECT status || ' ' || refresh_mode || ' ' || consecutive_errors"
                          + " FROM pgtrickle.pgt_stream_tables WHERE pgt_name = ?",
                      t.getKey()))
              .as(t.getKey())
              .isEqualTo("ACTIVE " + t.getValue() + " 0");
          if (t.getValue().equals("DIFFERENTIAL")) {
            assertThat(
                    db.one(
                        "SELECT count(*) FROM pgtrickle.pgt_refresh_history h"
                            + " JOIN pgtrickle.pgt_stream_tables USING (pgt_id)"
                            + " WHERE pgt_name = ? AND h.status = 'COMPLETED'"
                            + " AND h.action = 'DIFFERENTIAL'",
                        t.getKey()))
                .as("differential refreshes of %s", t.getKey())
                .isNotEqualTo("0");
          }
        }
        assertThat(db.one("SELECT count(*) FROM public.al1")).isEqualTo("3");
        RefreshAudit.assertEveryRefreshMatched(db);
        RefreshAudit.assertAllEqualQuery(db);
        assertThat(worker.isAlive()).as("the worker is still running").isTrue();
      } finally {
        worker.destroy();
        assertThat(worker.waitFor(30, TimeUnit.SECONDS)).isTrue();
        ServerProcess.stop(cdc, 30);
      }
    }
  }

  private static void create(PipelineDb db, String name, String query) {
    db.sql(
        "SELECT pgtrickle.create_stream_table('public."
            + name
            + "', '"
            + query.replace("'", "''")
            + "', schedule => '1s', refresh_mode => '"
            + TABLES.get(name)
            + "')");
  }

  private static List<String> userColumns(PipelineDb db, String table) {
    return db.column(
        "SELECT attname FROM pg_attribute WHERE attrelid = 'public."
            + table
            + "'::regclass AND attnum > 0 AND NOT attisdropped"
            + " AND attname NOT LIKE '\\_\\_pgt%' ORDER BY attnum");
  }

  /** Runs the statements, then refreshes every stream table. */
  private static void write(PipelineDb db, String... statements) {
    db.sql(statements);
    for (String t : TABLES.keySet()) {
      db.sql(
          "SET statement_timeout = '60s'",
          "SELECT pgtrickle.refresh_stream_table('public." + t + "')");
    }
  }
}
