package io.pgtrickle.worker.dvm.unit;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.worker.dvm.sql.Sql;
import io.pgtrickle.worker.dvm.sql.SqlFormatter;
import io.pgtrickle.worker.dvm.sql.Term;
import java.util.List;
import org.junit.jupiter.api.Test;

class SqlTest {

  @Test
  void quotesOnlyWhatNeedsIt() {
    assertThat(Sql.ident("amount")).isEqualTo("amount");
    assertThat(Sql.ident("Amount")).isEqualTo("\"Amount\"");
    assertThat(Sql.ident("order")).isEqualTo("\"order\"");
    assertThat(Sql.ident("a\"b")).isEqualTo("\"a\"\"b\"");
    assertThat(Sql.qualified("public", "Src")).isEqualTo("public.\"Src\"");
  }

  @Test
  void quotesLiterals() {
    assertThat(Sql.literal("amount")).isEqualTo("'amount'");
    assertThat(Sql.literal("it's")).isEqualTo("'it''s'");
    assertThat(Sql.literal("a\\b'c")).isEqualTo("E'a\\\\b''c'");
  }

  @Test
  void termsMultiplyWeightsAndSigns() {
    Term a = new Term(List.of("x AS a"), List.of("a.k > 0"), List.of("a.__pgt_w"), 1);
    Term b = new Term(List.of("y AS b"), List.of(), List.of("b.__pgt_w"), -1);
    Term t = a.times(b);
    assertThat(t.weight()).isEqualTo("-(a.__pgt_w * b.__pgt_w)");
    assertThat(t.fromWhere(List.of("a.k = b.k")))
        .isEqualTo(" FROM x AS a, y AS b WHERE (a.k > 0) AND (a.k = b.k)");
  }

  @Test
  void formatsWithoutChangingTokens() {
    String sql = "WITH a AS (SELECT 1 AS x FROM t WHERE t.y = 2), b AS (SELECT 2) SELECT * FROM a";
    String formatted = SqlFormatter.format(sql);
    assertThat(formatted).contains("\nb AS (").contains("\n  FROM t");
    assertThat(formatted.replaceAll("\\s+", "")).isEqualTo(sql.replaceAll("\\s+", ""));
  }
}
