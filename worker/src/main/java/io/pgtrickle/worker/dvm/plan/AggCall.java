package io.pgtrickle.worker.dvm.plan;

import io.pgtrickle.worker.dvm.catalog.TypeRef;
import io.pgtrickle.worker.dvm.parse.Expr;

/**
 * One aggregate call, e.g. {@code sum(s.amount) FILTER (WHERE (s.score > 5))}.
 *
 * @param kind which aggregate
 * @param call the whole call as written (the full-recompute SQL uses it unchanged)
 * @param arg the argument, or null for {@code count(*)}
 * @param filter the FILTER condition, or null
 * @param argType the argument's type, or null for {@code count(*)}
 * @param resultType the aggregate's result type
 */
public record AggCall(
    Kind kind, Expr call, Expr arg, Expr filter, TypeRef argType, TypeRef resultType) {

  /** The aggregates the engine maintains. */
  public enum Kind {
    COUNT_STAR,
    COUNT,
    SUM,
    AVG,
    MIN,
    MAX
  }

  /**
   * True if the aggregate is maintained by adding and subtracting exact numbers; false if an
   * affected group is recomputed from the sources (float, and types without exact arithmetic).
   */
  public boolean algebraic() {
    return switch (kind) {
      case COUNT_STAR, COUNT -> true;
      case SUM, AVG ->
          argType.family() == TypeRef.Family.INTEGER || argType.family() == TypeRef.Family.NUMERIC;
      case MIN, MAX -> false;
    };
  }
}
