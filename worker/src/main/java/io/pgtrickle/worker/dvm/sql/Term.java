package io.pgtrickle.worker.dvm.sql;

import java.util.ArrayList;
import java.util.List;

/**
 * One summand of a delta: a conjunctive query {@code FROM items WHERE predicates} whose rows carry
 * the weight {@code sign * product(weights)}. Items keep the aliases of the defining query (a
 * table's delta is bound to the table's alias), so the query's expressions apply unchanged.
 *
 * @param items FROM items, in order (later ones may be LATERAL)
 * @param predicates conditions, AND-ed
 * @param weights weight factors (SQL expressions of type integer; their sums are bigint)
 * @param sign +1 or -1
 */
public record Term(List<String> items, List<String> predicates, List<String> weights, int sign) {

  /** The product of two terms: items, predicates and weights concatenated, signs multiplied. */
  public Term times(Term other) {
    return new Term(
        concat(items, other.items),
        concat(predicates, other.predicates),
        concat(weights, other.weights),
        sign * other.sign);
  }

  /** This term with more items, predicates and weight factors. */
  public Term with(List<String> moreItems, List<String> morePredicates, List<String> moreWeights) {
    return new Term(
        concat(items, moreItems),
        concat(predicates, morePredicates),
        concat(weights, moreWeights),
        sign);
  }

  public Term negated() {
    return new Term(items, predicates, weights, -sign);
  }

  /** The weight as an SQL expression. */
  public String weight() {
    String product = weights.isEmpty() ? "1" : String.join(" * ", weights);
    return sign < 0 ? "-(" + product + ")" : product;
  }

  /** {@code FROM ... [WHERE ...]} with extra conditions. */
  public String fromWhere(List<String> extraPredicates) {
    List<String> preds = concat(predicates, extraPredicates);
    return " FROM "
        + String.join(", ", items)
        + (preds.isEmpty() ? "" : " WHERE " + NewStateSql.conjunction(preds));
  }

  private static List<String> concat(List<String> a, List<String> b) {
    List<String> out = new ArrayList<>(a);
    out.addAll(b);
    return out;
  }
}
