package io.pgtrickle.worker.dvm.plan;

import io.pgtrickle.worker.dvm.catalog.CatalogReader;
import io.pgtrickle.worker.dvm.catalog.ColumnInfo;
import io.pgtrickle.worker.dvm.catalog.RelationInfo;
import io.pgtrickle.worker.dvm.parse.Expr;
import io.pgtrickle.worker.dvm.parse.QueryAst;
import io.pgtrickle.worker.dvm.parse.QueryAst.FromItem;
import io.pgtrickle.worker.dvm.parse.QueryAst.Join;
import io.pgtrickle.worker.dvm.parse.QueryAst.JoinType;
import io.pgtrickle.worker.dvm.parse.Unsupported;
import io.pgtrickle.worker.dvm.sql.Sql;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Turns a block's FROM clause into a {@link FromNode} tree: tables resolved in the catalog,
 * subqueries analyzed, inner and cross joins flattened into one {@link FromNode.InnerJoin}, RIGHT
 * joins swapped into LEFT joins, USING turned into ON.
 */
final class FromResolver {

  /** Column names a source may not have: they name the engine's own columns in derived SQL. */
  static final String WEIGHT = "__pgt_w";

  private final CatalogReader catalog;
  private final Analyzer analyzer;
  private final List<RelationInfo> sources;

  FromResolver(CatalogReader catalog, Analyzer analyzer, List<RelationInfo> sources) {
    this.catalog = catalog;
    this.analyzer = analyzer;
    this.sources = sources;
  }

  /** The FROM list of a block (comma-separated items are an inner join). */
  FromNode resolve(List<FromItem> items) throws SQLException {
    if (items.isEmpty()) {
      throw new Unsupported("query without FROM");
    }
    List<FromNode> parts = new ArrayList<>();
    List<Expr> conds = new ArrayList<>();
    for (FromItem item : items) {
      addInner(item, false, parts, conds);
    }
    return parts.size() == 1 && conds.isEmpty()
        ? parts.get(0)
        : new FromNode.InnerJoin(parts, conds);
  }

  private void addInner(FromItem item, boolean nullable, List<FromNode> parts, List<Expr> conds)
      throws SQLException {
    if (item instanceof Join j && (j.type() == JoinType.INNER || j.type() == JoinType.CROSS)) {
      addInner(j.left(), nullable, parts, conds);
      int leftEnd = parts.size();
      addInner(j.right(), nullable, parts, conds);
      if (j.on() != null) {
        conds.add(j.on());
      }
      if (!j.using().isEmpty()) {
        conds.add(
            using(j.using(), parts.subList(0, leftEnd), parts.subList(leftEnd, parts.size())));
      }
      return;
    }
    parts.add(node(item, nullable));
  }

  private FromNode node(FromItem item, boolean nullable) throws SQLException {
    if (item instanceof QueryAst.TableRef t) {
      requireUserName(t.refName());
      return table(t);
    }
    if (item instanceof QueryAst.SubqueryRef s) {
      requireUserName(s.alias());
      QueryNode q = analyzer.node(s.query(), s.columnAliases());
      return new FromNode.Subquery(s.alias(), q, nullable);
    }
    Join j = (Join) item;
    switch (j.type()) {
      case INNER, CROSS -> {
        List<FromNode> parts = new ArrayList<>();
        List<Expr> conds = new ArrayList<>();
        addInner(j, nullable, parts, conds);
        return new FromNode.InnerJoin(parts, conds);
      }
      case LEFT -> {
        FromNode left = node(j.left(), nullable);
        FromNode right = node(j.right(), true);
        return new FromNode.LeftJoin(left, right, condition(j, List.of(left), List.of(right)));
      }
      case RIGHT -> {
        FromNode left = node(j.left(), true);
        FromNode right = node(j.right(), nullable);
        return new FromNode.LeftJoin(right, left, condition(j, List.of(left), List.of(right)));
      }
      default -> throw new Unsupported("FULL JOIN");
    }
  }

  /**
   * The maintenance statements name their own FROM items {@code __pgt_...}; a query's item of that
   * name could hide one of them (or be hidden) where both are in scope.
   */
  private static void requireUserName(String alias) {
    if (alias != null && alias.startsWith("__pgt_")) {
      throw new Unsupported("FROM item named " + alias + " (reserved prefix __pgt_)");
    }
  }

  private Expr condition(Join j, List<FromNode> left, List<FromNode> right) {
    return j.on() != null ? j.on() : using(j.using(), left, right);
  }

  /** {@code USING (c, ...)} as {@code l.c = r.c AND ...}, l and r the first items having c. */
  private Expr using(List<String> columns, List<FromNode> left, List<FromNode> right) {
    List<String> eqs = new ArrayList<>();
    for (String c : columns) {
      eqs.add("(" + Sql.column(owner(c, left), c) + " = " + Sql.column(owner(c, right), c) + ")");
    }
    return Expr.of(eqs.size() == 1 ? eqs.get(0) : "(" + String.join(" AND ", eqs) + ")");
  }

  private String owner(String column, List<FromNode> side) {
    for (FromNode n : side) {
      for (FromNode item : Identity.items(n)) {
        if (columnsOf(item).contains(column)) {
          return item.aliases().get(0);
        }
      }
    }
    throw new IllegalStateException("USING column " + column + " not found");
  }

  static List<String> columnsOf(FromNode item) {
    if (item instanceof FromNode.Table t) {
      return t.columnNames();
    }
    return ((FromNode.Subquery) item).query().columns().stream().map(ColumnInfo::name).toList();
  }

  private FromNode.Table table(QueryAst.TableRef t) throws SQLException {
    if (t.schema() == null) {
      throw new Unsupported("system catalog or temporary table as a source", t.name());
    }
    RelationInfo rel = catalog.relation(t.schema(), t.name());
    switch (rel.relkind()) {
      case 'r', 'p' -> {}
      case 'v' -> throw new Unsupported("view source", t.schema() + "." + t.name());
      case 'm' -> throw new Unsupported("materialized view as a source", t.name());
      case 'f' -> throw new Unsupported("foreign table as a source", t.name());
      default ->
          throw new Unsupported("relation kind '" + rel.relkind() + "' as a source", t.name());
    }
    if (catalog.isStreamTable(rel.oid())) {
      throw new Unsupported("stream table source", t.schema() + "." + t.name());
    }
    for (ColumnInfo c : rel.columns()) {
      if (c.name().equals(WEIGHT) || c.name().equals("__pgt_lsn") || c.name().equals("__pgt_seq")) {
        throw new Unsupported("source column named " + c.name() + " (reserved)", t.name());
      }
    }
    int index = -1;
    for (int i = 0; i < sources.size(); i++) {
      if (sources.get(i).oid() == rel.oid()) {
        index = i;
      }
    }
    if (index < 0) {
      sources.add(rel);
      index = sources.size() - 1;
    }
    List<String> names = new ArrayList<>();
    for (int i = 0; i < rel.columns().size(); i++) {
      names.add(
          i < t.columnAliases().size() ? t.columnAliases().get(i) : rel.columns().get(i).name());
    }
    return new FromNode.Table(t.refName(), rel, names, index);
  }

  /** Every alias of the tree, checked unique. */
  static Map<String, FromNode> scope(FromNode from) {
    Map<String, FromNode> out = new java.util.LinkedHashMap<>();
    for (FromNode item : Identity.items(from)) {
      if (out.put(item.aliases().get(0), item) != null) {
        throw new IllegalStateException("duplicate alias " + item.aliases().get(0));
      }
    }
    return out;
  }
}
