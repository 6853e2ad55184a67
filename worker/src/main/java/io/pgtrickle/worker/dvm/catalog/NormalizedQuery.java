package io.pgtrickle.worker.dvm.catalog;

import java.util.List;

/**
 * A defining query as PostgreSQL normalized it.
 *
 * @param viewText {@code pg_get_viewdef} of {@code SELECT * FROM (<query>) __pgt_q}
 * @param columns the query's output columns (names and types of the stream table's columns)
 * @param functions every function, aggregate and operator implementation the query calls
 * @param blockers constructs of the query tree that prevent differential maintenance (the front
 *     door's rules)
 */
public record NormalizedQuery(
    String viewText,
    List<ColumnInfo> columns,
    List<FunctionRef> functions,
    List<io.pgtrickle.worker.dvm.parse.Blocker> blockers) {

  /**
   * A function the query calls.
   *
   * @param schema its schema
   * @param name its name
   * @param kind {@code pg_proc.prokind}: f function, a aggregate, w window, p procedure
   * @param volatility {@code pg_proc.provolatile}: i immutable, s stable, v volatile
   */
  public record FunctionRef(String schema, String name, char kind, char volatility) {}
}
