package io.pgtrickle.worker.dvm.plan;

import io.pgtrickle.worker.dvm.catalog.ColumnInfo;
import io.pgtrickle.worker.dvm.parse.Expr;
import java.util.List;
import java.util.Set;

/**
 * One SELECT block: {@code SELECT outputs FROM from WHERE where [GROUP BY ... HAVING ...]}.
 *
 * @param outputs the select list with names and types
 * @param from the FROM tree
 * @param where the WHERE condition, or null
 * @param aggregation grouping and aggregates, or null for a projection/filter/join block
 */
public record Block(List<Output> outputs, FromNode from, Expr where, Aggregation aggregation)
    implements QueryNode {

  /** A select-list entry. */
  public record Output(String name, Expr expr, io.pgtrickle.worker.dvm.catalog.TypeRef type) {}

  @Override
  public List<ColumnInfo> columns() {
    return outputs.stream().map(o -> new ColumnInfo(o.name(), o.type(), false)).toList();
  }

  @Override
  public Set<Integer> sourceIndexes() {
    return from.sourceIndexes();
  }

  public boolean aggregated() {
    return aggregation != null;
  }
}
