package io.pgtrickle.worker.dvm.rules;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgtrickle.worker.dvm.Analysis;
import io.pgtrickle.worker.dvm.DifferentialEngine;
import io.pgtrickle.worker.dvm.support.PgServers;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * What the analyzer accepts, and for everything else the construct it names (the stream table is
 * then refreshed FULL under AUTO; an explicit DIFFERENTIAL is refused naming it).
 */
class AnalysisIT {

  @BeforeAll
  static void schema() throws SQLException {
    try (Connection c = PgServers.connect(PgServers.defaultMajor());
        Statement s = c.createStatement()) {
      s.execute("DROP SCHEMA IF EXISTS an CASCADE");
      s.execute("CREATE SCHEMA an");
      s.execute("CREATE TABLE an.t (id int PRIMARY KEY, k int, v text, j json, ts timestamptz)");
      s.execute("CREATE TABLE an.u (id int PRIMARY KEY, k int)");
      s.execute("CREATE TABLE an.kl (j json, k int)");
      s.execute("CREATE VIEW an.vw AS SELECT id, k FROM an.t");
      s.execute("CREATE MATERIALIZED VIEW an.mv AS SELECT id, k FROM an.t");
    }
  }

  private static Analysis analyze(String query) throws SQLException {
    try (Connection c = PgServers.connect(PgServers.defaultMajor())) {
      return DifferentialEngine.analyze(c, query);
    }
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "SELECT id FROM an.t LIMIT 3|LIMIT",
        "SELECT id FROM an.t ORDER BY id OFFSET 2|OFFSET",
        "SELECT k FROM an.t UNION SELECT k FROM an.u|UNION",
        "SELECT k FROM an.t INTERSECT SELECT k FROM an.u|INTERSECT",
        "SELECT t.id FROM an.t FULL JOIN an.u ON u.k = t.k|FULL JOIN",
        "SELECT id, now() AS n FROM an.t|stable function now()",
        "SELECT id, random() AS r FROM an.t|volatile function random()",
        "SELECT id FROM an.t WHERE ts > now()|stable function now()",
        "SELECT id FROM an.t WHERE ts > '2026-01-01'::timestamptz - interval '1 day'|stable function timestamptz_mi_interval()",
        "SELECT k, string_agg(v, ',') FROM an.t GROUP BY k|aggregate string_agg",
        "SELECT k, count(DISTINCT v) FROM an.t GROUP BY k|DISTINCT aggregate",
        "SELECT id, row_number() OVER (ORDER BY id) FROM an.t|window function",
        "SELECT id, sum(k) OVER () FROM an.t|window function",
        "SELECT id FROM an.t WHERE k IN (SELECT k FROM an.u)|IN subquery",
        "SELECT id, (SELECT max(k) FROM an.u) FROM an.t|scalar subquery",
        "SELECT id FROM an.t WHERE EXISTS (SELECT 1 FROM an.u WHERE u.k = t.k)|correlated subquery",
        "SELECT DISTINCT ON (k) k, id FROM an.t|DISTINCT ON",
        "WITH x AS (SELECT id FROM an.t) SELECT id FROM x|WITH query (CTE)",
        "SELECT id, k FROM an.vw|view source",
        "SELECT id, k FROM an.mv|materialized view as a source",
        "SELECT k FROM an.t GROUP BY ROLLUP (k)|GROUPING SETS",
        "SELECT x FROM generate_series(1, 3) AS x|set-returning function",
        "SELECT t.id FROM an.t, LATERAL (SELECT u.k FROM an.u WHERE u.k = t.k) l|LATERAL",
        "SELECT t.id FROM an.t WHERE t.* IS NOT NULL|whole-row reference",
        "SELECT relname FROM pg_class|system catalog or temporary table as a source",
        "SELECT a.id FROM an.t a JOIN an.u b ON b.k = a.k JOIN an.t c ON c.k = b.k JOIN an.u d ON d.k = c.k JOIN an.t e ON e.k = d.k|join of more than 4 tables",
        "SELECT j FROM an.kl|column j of type json (no equality operator)",
        "SELECT id, j FROM an.t|column j of type json (no equality operator)",
        "SELECT t.id FROM an.u RIGHT JOIN an.t ON t.k = u.k|RIGHT JOIN",
        "SELECT t.id FROM an.t JOIN an.u ON u.k > t.k|non-equi join",
        "SELECT t.id FROM an.t, an.u|cross join",
        "SELECT id, ts::text AS t FROM an.t|stable function timestamptz_out()",
        "SELECT id, current_date AS d FROM an.t|stable function CURRENT_DATE/CURRENT_TIMESTAMP()",
        "SELECT __pgt_o.k, count(*) AS n FROM an.t __pgt_o GROUP BY 1|FROM item named __pgt_o (reserved prefix __pgt_)",
      })
  void namesTheConstructThatPreventsDifferential(String query, String construct)
      throws SQLException {
    Analysis a = analyze(query);
    assertThat(a).isInstanceOf(Analysis.FullOnly.class);
    assertThat(((Analysis.FullOnly) a).construct()).isEqualTo(construct);
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "SELECT id, CASE WHEN k > 1 THEN 'a' ELSE v END AS c FROM an.t WHERE v ~~ 'x%'",
        "SELECT t.id, u.k FROM an.t JOIN an.u USING (id) LEFT JOIN an.u u2 ON u2.k = t.k",
        "SELECT k, count(*) AS n, count(v) AS c, sum(id) AS s, avg(id) AS a, min(v) AS lo, max(ts) AS hi FROM an.t GROUP BY k HAVING count(*) > 1",
        "SELECT id, k::text AS t FROM an.t",
        "SELECT k, count(*) FILTER (WHERE v IS NULL) AS nulls FROM an.t GROUP BY 1",
        "SELECT DISTINCT k FROM an.t",
        "SELECT k FROM an.t UNION ALL SELECT k FROM an.u",
        "SELECT q.k, q.n FROM (SELECT k, count(*) AS n FROM an.t GROUP BY k) q WHERE q.n > 1",
        "SELECT id, k FROM an.t ORDER BY id",
        "SELECT id, ts AT TIME ZONE 'UTC' AS local FROM an.t",
        "SELECT k, 1 FROM an.t UNION ALL SELECT k, 2 FROM an.u",
        // Duplicate names in a subquery: pg_get_viewdef names them apart, q(id, "?column?",
        // "?column?_1"), q(k, k_1).
        "SELECT q.id FROM (SELECT id, 1, 2 FROM an.t) q",
        "SELECT count(*) AS n FROM (SELECT t.k, t.k FROM an.t) q",
        "SELECT q.k, q.\"?column?\" FROM (SELECT k, k + 1 FROM an.t UNION ALL SELECT k, 0 FROM an.u) q",
      })
  void acceptsTheShapesOfIssue13(String query) throws SQLException {
    assertThat(analyze(query)).isInstanceOf(Analysis.Differential.class);
  }

  @Test
  void aQueryPostgresRejectsIsAnErrorWithItsSqlstate() {
    assertThatThrownBy(() -> analyze("SELECT nope FROM an.t"))
        .isInstanceOfSatisfying(
            SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("42703"));
  }

  @Test
  void keysAndStorageComeFromTheCatalog() throws SQLException {
    Analysis.Differential d = (Analysis.Differential) analyze("SELECT v, k FROM an.t WHERE k > 0");
    assertThat(d.plan().sources())
        .singleElement()
        .satisfies(r -> assertThat(r.primaryKey()).containsExactly("id"));
    assertThat(d.plan().layout().identity()).containsExactly("__pgt_id_1");
    assertThat(d.plan().layout().hidden()).extracting(c -> c.name()).containsExactly("__pgt_id_1");
  }
}
