package io.pgtrickle.worker.dvm.plan;

import io.pgtrickle.worker.dvm.catalog.ColumnInfo;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** {@code branch1 UNION ALL branch2 ...}; branches are flattened. Columns are the first's. */
public record UnionAll(List<QueryNode> branches, List<ColumnInfo> columns) implements QueryNode {

  @Override
  public Set<Integer> sourceIndexes() {
    Set<Integer> out = new HashSet<>();
    branches.forEach(b -> out.addAll(b.sourceIndexes()));
    return out;
  }
}
