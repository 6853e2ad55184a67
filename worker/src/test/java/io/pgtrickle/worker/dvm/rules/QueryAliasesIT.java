package io.pgtrickle.worker.dvm.rules;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.worker.dvm.support.TestStreamTable;
import java.sql.SQLException;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/**
 * A query's FROM items may have any name: the maintenance statements name their own {@code
 * __pgt_...} (a prefix refused in queries, {@code AnalysisIT}), so none hides the query's or is
 * hidden by it. Until 2026-12-06 the aggregate apply called its stored groups {@code o} and
 * recomputed MIN/MAX, HAVING and scalar aggregates in a LATERAL over the query's FROM items: a
 * query with a FROM item {@code o} failed every refresh with {@code column o.__pgt_g1 does not
 * exist}, and the stream table went to ERROR. Each short name below is tried on every shape that
 * recomputes groups, on PostgreSQL 14 and 18.
 */
class QueryAliasesIT {

  static final List<Integer> MAJORS = io.pgtrickle.worker.dvm.support.PgServers.RULE_MAJORS;

  private static final List<String> ALIASES =
      List.of("o", "r", "s", "v", "d", "n", "k", "x", "q", "c", "w", "old", "new");

  @ParameterizedTest(name = "PostgreSQL {0}")
  @FieldSource("MAJORS")
  void anyAliasWorksWhereGroupsAreRecomputed(int major) throws SQLException {
    try (RuleFixture f =
        new RuleFixture(
            major,
            "CREATE TABLE rules.m (id int PRIMARY KEY, g text, v int)",
            "CREATE TABLE rules.dim (g text PRIMARY KEY, label text)")) {
      f.write(
          "INSERT INTO rules.m SELECT i, 'g' || (i % 3), i FROM generate_series(1, 12) i",
          "INSERT INTO rules.dim VALUES ('g0', 'zero'), ('g1', 'one')");
      for (String a : ALIASES) {
        String t = "\"" + a + "\"";
        List<TestStreamTable> tables =
            List.of(
                f.streamTable(
                    "grouped_" + a,
                    "SELECT "
                        + t
                        + ".g, max("
                        + t
                        + ".v) AS hi, min("
                        + t
                        + ".v) AS lo, sum("
                        + t
                        + ".v) AS s FROM rules.m "
                        + t
                        + " GROUP BY "
                        + t
                        + ".g HAVING count(*) > 1"),
                f.streamTable(
                    "scalar_" + a,
                    "SELECT count(*) AS n, min("
                        + t
                        + ".v) AS lo, max("
                        + t
                        + ".v) AS hi FROM rules.m "
                        + t),
                f.streamTable(
                    "joined_" + a,
                    "SELECT y.label, max("
                        + t
                        + ".v) AS hi, count(*) AS n FROM rules.m "
                        + t
                        + " LEFT JOIN rules.dim y ON y.g = "
                        + t
                        + ".g GROUP BY y.label"));
        // Deletes of each group's maximum and minimum: MIN and MAX recomputed from the sources.
        f.write(
            "DELETE FROM rules.m WHERE v IN (SELECT max(v) FROM rules.m GROUP BY g)",
            "DELETE FROM rules.m WHERE v IN (SELECT min(v) FROM rules.m GROUP BY g)",
            "INSERT INTO rules.m SELECT 100 + i, 'g' || i, i FROM generate_series(0, 3) i");
        for (TestStreamTable st : tables) {
          assertThat(st.refresh(f.conn)).as("%s with alias %s", st, a).isEqualTo("DIFFERENTIAL");
          st.assertMatchesQuery(f.conn);
        }
        f.write(
            "DELETE FROM rules.m WHERE id >= 100",
            "INSERT INTO rules.m SELECT i, 'g' || (i % 3), i FROM generate_series(1, 12) i"
                + " ON CONFLICT DO NOTHING");
        for (TestStreamTable st : tables) {
          st.refresh(f.conn);
          st.assertMatchesQuery(f.conn);
        }
      }
    }
  }
}
