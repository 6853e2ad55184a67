package io.pgtrickle.worker.dvm.parse;

import java.util.List;

/**
 * The syntax tree of a query as {@code pg_get_viewdef} prints it: only the structure the
 * differential engine needs; expressions stay token spans ({@link Expr}).
 */
public sealed interface QueryAst {

  /**
   * One {@code SELECT} block.
   *
   * @param distinct {@code SELECT DISTINCT}
   * @param targets the select list, in order
   * @param from the comma-separated FROM items (empty: no FROM)
   * @param where the WHERE condition, or null
   * @param groupBy GROUP BY items (empty: none)
   * @param having the HAVING condition, or null
   */
  record Select(
      boolean distinct,
      List<Target> targets,
      List<FromItem> from,
      Expr where,
      List<Expr> groupBy,
      Expr having)
      implements QueryAst {}

  /** {@code left UNION ALL right} (the only set operation the engine maintains). */
  record UnionAll(QueryAst left, QueryAst right) implements QueryAst {}

  /**
   * A select-list entry.
   *
   * @param expr the expression
   * @param alias the {@code AS} name, or null
   */
  record Target(Expr expr, String alias) {}

  /** A FROM item. */
  sealed interface FromItem permits TableRef, SubqueryRef, Join {}

  /**
   * A table.
   *
   * @param schema schema name (pg_get_viewdef qualifies when needed), or null
   * @param name table name
   * @param alias the alias, or null (then the table name)
   * @param columnAliases {@code alias(a, b)} renames of the first columns, or empty
   */
  record TableRef(String schema, String name, String alias, List<String> columnAliases)
      implements FromItem {
    /** The name this item is referred to by. */
    public String refName() {
      return alias != null ? alias : name;
    }
  }

  /** A subquery in FROM with its (required) alias. */
  record SubqueryRef(QueryAst query, String alias, List<String> columnAliases)
      implements FromItem {}

  /** Join types after normalization (RIGHT joins are kept as written; the analyzer swaps). */
  enum JoinType {
    INNER,
    LEFT,
    RIGHT,
    FULL,
    CROSS
  }

  /**
   * {@code left <type> JOIN right ON on | USING (using)}.
   *
   * @param on the ON condition, or null
   * @param using the USING column names, or empty
   */
  record Join(JoinType type, FromItem left, FromItem right, Expr on, List<String> using)
      implements FromItem {}
}
