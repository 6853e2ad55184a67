package io.pgtrickle.worker.dvm.unit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgtrickle.worker.dvm.parse.QueryAst;
import io.pgtrickle.worker.dvm.parse.QueryParser;
import io.pgtrickle.worker.dvm.parse.Unsupported;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The reader of pg_get_viewdef text: structure, and the constructs it refuses by name. */
class QueryParserTest {

  @Test
  void readsJoinsSubqueriesAndGrouping() {
    QueryAst q =
        QueryParser.parse(
            "SELECT d.region_name, sum(s.amount) AS total FROM ((public.src s JOIN public.dim d"
                + " USING (region)) LEFT JOIN ( SELECT k.a FROM public.kl k) q ON ((q.a = s.id)))"
                + " WHERE (s.amount > 5000) GROUP BY d.region_name HAVING (count(*) > 1)");
    QueryAst.Select s = (QueryAst.Select) q;
    assertThat(s.targets()).hasSize(2);
    assertThat(s.targets().get(1).alias()).isEqualTo("total");
    QueryAst.Join left = (QueryAst.Join) s.from().get(0);
    assertThat(left.type()).isEqualTo(QueryAst.JoinType.LEFT);
    assertThat(((QueryAst.Join) left.left()).using()).containsExactly("region");
    assertThat(left.right()).isInstanceOf(QueryAst.SubqueryRef.class);
    assertThat(s.where().sql()).isEqualTo("(s.amount > 5000)");
    assertThat(s.groupBy()).hasSize(1);
    assertThat(s.having().sql()).isEqualTo("(count(*) > 1)");
  }

  @Test
  void aJoinGroupMayStartWithASubquery() {
    QueryAst.Select s =
        (QueryAst.Select)
            QueryParser.parse(
                "SELECT q.r FROM (( SELECT src.region AS r FROM public.src) q JOIN public.dim d ON ((d.region = q.r)))");
    assertThat(s.from().get(0)).isInstanceOf(QueryAst.Join.class);
  }

  @Test
  void readsUnionAllAndIgnoresOrderBy() {
    QueryAst q =
        QueryParser.parse("SELECT a.x FROM public.a UNION ALL SELECT b.y FROM public.b ORDER BY 1");
    assertThat(q).isInstanceOf(QueryAst.UnionAll.class);
  }

  @Test
  void isDistinctFromStaysInsideItsExpression() {
    QueryAst.Select s =
        (QueryAst.Select) QueryParser.parse("SELECT a.x IS DISTINCT FROM a.y AS d FROM public.a");
    assertThat(s.targets().get(0).expr().sql()).isEqualTo("a.x IS DISTINCT FROM a.y");
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "WITH c AS (SELECT 1) SELECT * FROM c|WITH query (CTE)",
        "SELECT a.x FROM public.a LIMIT 5|LIMIT",
        "SELECT a.x FROM public.a UNION SELECT b.x FROM public.b|UNION",
        "SELECT a.x FROM public.a EXCEPT SELECT b.x FROM public.b|EXCEPT",
        "SELECT DISTINCT ON (a.x) a.x FROM public.a|DISTINCT ON",
        "SELECT a.x FROM public.a, LATERAL (SELECT 1) l|LATERAL",
        "SELECT x FROM generate_series(1, 3) x|set-returning function",
        "SELECT a.x FROM public.a GROUP BY ROLLUP (a.x)|GROUPING SETS",
        "SELECT a.x FROM public.a FOR UPDATE|FOR UPDATE/SHARE",
        "VALUES (1)|VALUES list",
      })
  void refusesConstructsByName(String sql, String construct) {
    assertThatThrownBy(() -> QueryParser.parse(sql))
        .isInstanceOfSatisfying(
            Unsupported.class, u -> assertThat(u.construct()).isEqualTo(construct));
  }
}
