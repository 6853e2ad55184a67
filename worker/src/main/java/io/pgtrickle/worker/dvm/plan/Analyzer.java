package io.pgtrickle.worker.dvm.plan;

import io.pgtrickle.worker.dvm.catalog.CatalogReader;
import io.pgtrickle.worker.dvm.catalog.ColumnInfo;
import io.pgtrickle.worker.dvm.catalog.NormalizedQuery;
import io.pgtrickle.worker.dvm.catalog.RelationInfo;
import io.pgtrickle.worker.dvm.parse.AggregateCallScanner;
import io.pgtrickle.worker.dvm.parse.Expr;
import io.pgtrickle.worker.dvm.parse.QueryAst;
import io.pgtrickle.worker.dvm.parse.QueryParser;
import io.pgtrickle.worker.dvm.parse.Unsupported;
import io.pgtrickle.worker.dvm.sql.NewStateSql;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Resolves a defining query into a {@link DefiningQuery}: PostgreSQL normalizes it (names, types,
 * functions), {@link QueryParser} reads the structure, the catalog supplies tables, keys and the
 * types of expressions. A construct the engine does not maintain raises {@link Unsupported} naming
 * it.
 */
public final class Analyzer {

  /** Most FROM items (tables and subqueries) one block may join. */
  public static final int MAX_JOIN_ITEMS = 4;

  private final CatalogReader catalog;
  private final List<RelationInfo> sources = new ArrayList<>();
  private final FromResolver fromResolver;

  private Analyzer(CatalogReader catalog) {
    this.catalog = catalog;
    this.fromResolver = new FromResolver(catalog, this, sources);
  }

  /**
   * Analyzes {@code query}.
   *
   * @throws Unsupported if the query cannot be maintained differentially
   * @throws SQLException if PostgreSQL rejects the query
   */
  public static DefiningQuery analyze(CatalogReader catalog, String query) throws SQLException {
    return analyze(catalog, catalog.normalize(query));
  }

  /**
   * Analyzes a query PostgreSQL normalized.
   *
   * @throws Unsupported if the query cannot be maintained differentially
   */
  public static DefiningQuery analyze(CatalogReader catalog, NormalizedQuery nq)
      throws SQLException {
    checkFunctions(nq.functions());
    QueryAst.Select wrapper = (QueryAst.Select) QueryParser.parse(nq.viewText());
    QueryAst inner = ((QueryAst.SubqueryRef) wrapper.from().get(0)).query();
    Analyzer a = new Analyzer(catalog);
    QueryNode root = a.node(inner, List.of(), nq.columns());
    for (ColumnInfo c : nq.columns()) {
      if (!c.type().orderable() && !c.type().hashable()) {
        throw new Unsupported(
            "column " + c.name() + " of type " + c.type().sqlName() + " (no equality operator)");
      }
    }
    String normalized = NewStateSql.query(root, false, false);
    List<RelationInfo> sources = List.copyOf(a.sources);
    return new DefiningQuery(
        root,
        nq.columns(),
        sources,
        normalized,
        catalog.serverVersion(),
        UsedColumns.of(root, sources));
  }

  /** Functions the result of which may change while the sources do not. */
  private static void checkFunctions(List<NormalizedQuery.FunctionRef> functions) {
    for (NormalizedQuery.FunctionRef f : functions) {
      String name = f.schema().equals("pg_catalog") ? f.name() : f.schema() + "." + f.name();
      if (f.volatility() != 'i') {
        throw new Unsupported(
            (f.volatility() == 'v' ? "volatile" : "stable") + " function " + name + "()");
      }
    }
  }

  /**
   * A (sub)query node.
   *
   * @param renames column aliases given to the subquery ({@code (...) q(a, b)}), or empty
   * @param knownColumns the columns as PostgreSQL reported them (the root), or null to probe
   */
  QueryNode node(QueryAst ast, List<String> renames, List<ColumnInfo> knownColumns)
      throws SQLException {
    if (ast instanceof QueryAst.UnionAll) {
      List<QueryNode> branches = new ArrayList<>();
      List<String> firstNames = List.of();
      for (QueryAst b : flatten(ast, new ArrayList<>())) {
        // PostgreSQL names the union's columns after the first branch's; the later branches'
        // names are not visible (pg_get_viewdef leaves them out), so they get the first's.
        QueryNode branch = node(b, firstNames, null);
        branches.add(branch);
        if (firstNames.isEmpty()) {
          firstNames = branch.columns().stream().map(ColumnInfo::name).toList();
        }
      }
      List<ColumnInfo> first = branches.get(0).columns();
      List<ColumnInfo> named = new ArrayList<>();
      for (int i = 0; i < first.size(); i++) {
        named.add(
            new ColumnInfo(rename(first.get(i).name(), i, renames), first.get(i).type(), false));
      }
      UnionAll provisional = new UnionAll(branches, named);
      List<ColumnInfo> types =
          knownColumns != null
              ? knownColumns
              : catalog.probe(NewStateSql.query(provisional, false, false));
      List<ColumnInfo> cols = new ArrayList<>();
      for (int i = 0; i < named.size(); i++) {
        cols.add(new ColumnInfo(named.get(i).name(), types.get(i).type(), false));
      }
      return new UnionAll(branches, cols);
    }
    return block((QueryAst.Select) ast, renames, knownColumns);
  }

  QueryNode node(QueryAst ast, List<String> renames) throws SQLException {
    return node(ast, renames, null);
  }

  private static List<QueryAst> flatten(QueryAst ast, List<QueryAst> out) {
    if (ast instanceof QueryAst.UnionAll u) {
      flatten(u.left(), out);
      flatten(u.right(), out);
    } else {
      out.add(ast);
    }
    return out;
  }

  private Block block(QueryAst.Select s, List<String> renames, List<ColumnInfo> knownColumns)
      throws SQLException {
    FromNode from = fromResolver.resolve(s.from());
    if (Identity.items(from).size() > MAX_JOIN_ITEMS) {
      throw new Unsupported("join of more than " + MAX_JOIN_ITEMS + " tables");
    }
    Map<String, FromNode> scope = FromResolver.scope(from);
    List<Expr> all = new ArrayList<>();
    s.targets().forEach(t -> all.add(t.expr()));
    if (s.where() != null) {
      all.add(s.where());
    }
    all.addAll(s.groupBy());
    if (s.having() != null) {
      all.add(s.having());
    }
    all.addAll(joinConditions(from));
    for (Expr e : all) {
      AggregateCallScanner.checkPlain(e);
      checkColumns(e, scope);
    }
    List<Block.Output> outputs = new ArrayList<>();
    List<String> names = OutputNames.of(s.targets(), renames);
    for (int i = 0; i < s.targets().size(); i++) {
      outputs.add(new Block.Output(names.get(i), s.targets().get(i).expr(), null));
    }
    if (s.where() != null && !AggregateCallScanner.find(s.where()).isEmpty()) {
      throw new IllegalStateException("aggregate in WHERE");
    }
    Aggregation aggregation = new GroupingResolver(catalog, scope).resolve(s, from, outputs);
    Block provisional = new Block(outputs, from, s.where(), aggregation);
    List<ColumnInfo> types =
        knownColumns != null
            ? knownColumns
            : catalog.probe(NewStateSql.query(provisional, false, false));
    List<Block.Output> typed = new ArrayList<>();
    for (int i = 0; i < outputs.size(); i++) {
      Block.Output o = outputs.get(i);
      typed.add(new Block.Output(o.name(), o.expr(), types.get(i).type()));
    }
    return new Block(typed, from, s.where(), aggregation);
  }

  private static List<Expr> joinConditions(FromNode f) {
    List<Expr> out = new ArrayList<>();
    if (f instanceof FromNode.InnerJoin j) {
      out.addAll(j.conditions());
      j.parts().forEach(p -> out.addAll(joinConditions(p)));
    } else if (f instanceof FromNode.LeftJoin l) {
      out.add(l.condition());
      out.addAll(joinConditions(l.left()));
      out.addAll(joinConditions(l.right()));
    }
    return out;
  }

  private static void checkColumns(Expr e, Map<String, FromNode> scope) {
    for (Expr.ColumnRef c : e.columnRefs(scope.keySet())) {
      if (c.column().equals("*")) {
        throw new Unsupported("whole-row reference", c.alias() + ".*");
      }
      if (!FromResolver.columnsOf(scope.get(c.alias())).contains(c.column())) {
        throw new IllegalStateException("unknown column " + c.alias() + "." + c.column());
      }
    }
  }

  private static String rename(String name, int i, List<String> renames) {
    return i < renames.size() ? renames.get(i) : name;
  }
}
