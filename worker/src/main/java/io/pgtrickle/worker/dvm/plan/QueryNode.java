package io.pgtrickle.worker.dvm.plan;

import io.pgtrickle.worker.dvm.catalog.ColumnInfo;
import java.util.List;

/**
 * A resolved (sub)query of the defining query: a {@link Block} or a {@link UnionAll}. Column
 * references in its expressions are qualified by the aliases of its FROM items.
 */
public sealed interface QueryNode permits Block, UnionAll {

  /** The output columns, names and types. */
  List<ColumnInfo> columns();

  /** Index, in {@link DefiningQuery#sources()}, of every base table read at any depth. */
  java.util.Set<Integer> sourceIndexes();
}
