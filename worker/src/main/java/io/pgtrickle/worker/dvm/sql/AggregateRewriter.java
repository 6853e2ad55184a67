package io.pgtrickle.worker.dvm.sql;

import io.pgtrickle.worker.dvm.parse.AggregateCallScanner;
import io.pgtrickle.worker.dvm.parse.Expr;
import io.pgtrickle.worker.dvm.plan.Aggregation;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;

/**
 * Rewrites a select-list or HAVING expression of an aggregate block over a group's values: each
 * aggregate call becomes its value column, each grouping expression its key column. E.g. {@code
 * (sum(s.amount) * 2)} becomes {@code (n.__pgt_nv1 * 2)}.
 */
final class AggregateRewriter {

  private AggregateRewriter() {}

  /**
   * @param e the expression
   * @param agg the block's aggregation
   * @param callValue SQL of call {@code i}'s value (0-based index into {@code agg.calls()})
   * @param keyValue SQL of key {@code j}'s value
   */
  static String rewrite(
      Expr e, Aggregation agg, IntFunction<String> callValue, IntFunction<String> keyValue) {
    List<Expr.Replacement> out = new ArrayList<>();
    List<int[]> taken = new ArrayList<>();
    for (AggregateCallScanner.Call c : AggregateCallScanner.find(e)) {
      String canonical = e.slice(c.start(), c.end()).canonical();
      int index = -1;
      for (int i = 0; i < agg.calls().size(); i++) {
        if (agg.calls().get(i).call().canonical().equals(canonical)) {
          index = i;
        }
      }
      if (index < 0) {
        throw new IllegalStateException("aggregate call not in the block: " + canonical);
      }
      out.add(Expr.Replacement.ofSql(c.start(), c.end(), callValue.apply(index)));
      taken.add(new int[] {c.start(), c.end()});
    }
    List<Integer> order = new ArrayList<>();
    for (int j = 0; j < agg.keys().size(); j++) {
      order.add(j);
    }
    order.sort(
        (a, b) ->
            Integer.compare(
                agg.keys().get(b).expr().tokens().size(),
                agg.keys().get(a).expr().tokens().size()));
    for (int j : order) {
      for (int[] span : AggregateCallScanner.occurrences(e, agg.keys().get(j).expr(), taken)) {
        out.add(Expr.Replacement.ofSql(span[0], span[1], "(" + keyValue.apply(j) + ")"));
        taken.add(span);
      }
    }
    return e.replace(out).sql();
  }
}
