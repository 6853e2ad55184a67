package io.pgtrickle.worker.dvm.unit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgtrickle.worker.dvm.parse.AggregateCallScanner;
import io.pgtrickle.worker.dvm.parse.Expr;
import io.pgtrickle.worker.dvm.parse.Unsupported;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ExprTest {

  @Test
  void findsQualifiedColumnsButNotTypesOrFunctions() {
    Expr e = Expr.of("(s.amount)::public.money_t + public.f(s.x) + d.\"Weird\" + (s.rec).field");
    List<String> refs =
        e.columnRefs(Set.of("s", "d", "public")).stream()
            .map(c -> c.alias() + "." + c.column())
            .toList();
    assertThat(refs).containsExactly("s.amount", "s.x", "d.Weird", "s.rec");
  }

  @Test
  void rewritesColumnsKeepingEverythingElse() {
    Expr e = Expr.of("CASE WHEN (s.v ~~ 'a%') THEN s.v ELSE NULL::text END");
    assertThat(e.mapColumns(Set.of("s"), c -> "o.__pgt_c1").sql())
        .isEqualTo("CASE WHEN (o.__pgt_c1 ~~ 'a%') THEN o.__pgt_c1 ELSE NULL::text END");
  }

  @Test
  void scansAggregateCallsWithFilter() {
    Expr e = Expr.of("(sum(s.a) FILTER (WHERE (s.b > 1)) * 2) + count(*)");
    List<AggregateCallScanner.Call> calls = AggregateCallScanner.find(e);
    assertThat(calls).hasSize(2);
    assertThat(calls.get(0).name()).isEqualTo("sum");
    assertThat(calls.get(0).arg().sql()).isEqualTo("s.a");
    assertThat(calls.get(0).filter().sql()).isEqualTo("(s.b > 1)");
    assertThat(calls.get(1).arg()).isNull();
  }

  @Test
  void refusesDistinctAggregatesWindowsAndSubqueries() {
    assertThatThrownBy(() -> AggregateCallScanner.find(Expr.of("count(DISTINCT s.a)")))
        .isInstanceOf(Unsupported.class);
    assertThatThrownBy(() -> AggregateCallScanner.find(Expr.of("sum(s.a) OVER (PARTITION BY s.b)")))
        .isInstanceOf(Unsupported.class);
    assertThatThrownBy(() -> AggregateCallScanner.checkPlain(Expr.of("s.a IN (SELECT 1)")))
        .isInstanceOf(Unsupported.class);
  }

  @Test
  void canonicalDropsOuterParentheses() {
    assertThat(Expr.of("((s.a + 1))").canonical()).isEqualTo("s.a + 1");
    assertThat(Expr.of("(s.a) + (s.b)").canonical()).isEqualTo("(s.a) + (s.b)");
  }
}
