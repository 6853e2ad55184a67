package io.pgtrickle.worker.dvm.plan;

import io.pgtrickle.worker.dvm.catalog.TypeRef;
import io.pgtrickle.worker.dvm.parse.Expr;
import java.util.List;

/**
 * The grouping of an aggregate block ({@code GROUP BY}, aggregates, {@code HAVING}, or {@code
 * SELECT DISTINCT}, which is grouping by every output without aggregates).
 *
 * @param keys the grouping expressions with their types; empty: one group (scalar aggregate)
 * @param calls the distinct aggregate calls of the select list and HAVING
 * @param having the HAVING condition, or null
 * @param distinct true for {@code SELECT DISTINCT} (keys are the outputs)
 */
public record Aggregation(List<GroupKey> keys, List<AggCall> calls, Expr having, boolean distinct) {

  /** A grouping expression. */
  public record GroupKey(Expr expr, TypeRef type) {}

  public boolean scalar() {
    return keys.isEmpty();
  }
}
