package io.pgtrickle.worker.dvm.plan;

import io.pgtrickle.worker.dvm.catalog.CatalogReader;
import io.pgtrickle.worker.dvm.catalog.ColumnInfo;
import io.pgtrickle.worker.dvm.catalog.TypeRef;
import io.pgtrickle.worker.dvm.parse.AggregateCallScanner;
import io.pgtrickle.worker.dvm.parse.Expr;
import io.pgtrickle.worker.dvm.parse.QueryAst;
import io.pgtrickle.worker.dvm.parse.Token;
import io.pgtrickle.worker.dvm.parse.Unsupported;
import io.pgtrickle.worker.dvm.sql.NewStateSql;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@link Aggregation} of a block: grouping keys (GROUP BY items, plus columns the select list
 * uses outside aggregates, which PostgreSQL allows when they depend on a grouped primary key), the
 * distinct aggregate calls and their types.
 */
final class GroupingResolver {

  private final CatalogReader catalog;
  private final Map<String, FromNode> scope;

  GroupingResolver(CatalogReader catalog, Map<String, FromNode> scope) {
    this.catalog = catalog;
    this.scope = scope;
  }

  /** The block's aggregation, or null if it neither groups nor aggregates. */
  Aggregation resolve(QueryAst.Select s, FromNode from, List<Block.Output> outputs)
      throws SQLException {
    Map<String, AggregateCallScanner.Call> calls = new LinkedHashMap<>();
    List<Expr> withAggregates = new ArrayList<>();
    outputs.forEach(o -> withAggregates.add(o.expr()));
    if (s.having() != null) {
      withAggregates.add(s.having());
    }
    for (Expr e : withAggregates) {
      for (AggregateCallScanner.Call c : AggregateCallScanner.find(e)) {
        calls.putIfAbsent(e.slice(c.start(), c.end()).canonical(), c);
      }
    }
    if (!s.distinct() && s.groupBy().isEmpty() && calls.isEmpty() && s.having() == null) {
      return null;
    }
    List<Expr> keys = new ArrayList<>();
    if (s.distinct()) {
      if (!calls.isEmpty() || !s.groupBy().isEmpty()) {
        throw new Unsupported("DISTINCT with GROUP BY or aggregates");
      }
      outputs.forEach(o -> keys.add(o.expr()));
    } else {
      for (Expr g : s.groupBy()) {
        List<Token> t = g.tokens();
        if (t.size() == 1 && t.get(0).kind() == Token.Kind.NUMBER) {
          keys.add(outputs.get(Integer.parseInt(t.get(0).text()) - 1).expr());
        } else {
          keys.add(g);
        }
      }
      for (Expr e : withAggregates) {
        addDependentColumns(e, keys);
      }
    }
    List<Expr> uniqueKeys = new ArrayList<>();
    for (Expr k : keys) {
      if (uniqueKeys.stream().noneMatch(u -> u.canonical().equals(k.canonical()))) {
        uniqueKeys.add(k);
      }
    }
    return typed(from, uniqueKeys, new ArrayList<>(calls.entrySet()), s.having(), s.distinct());
  }

  /**
   * Adds to {@code keys} every column {@code e} uses outside aggregate calls and outside the
   * grouping expressions (functionally dependent columns).
   */
  private void addDependentColumns(Expr e, List<Expr> keys) {
    List<int[]> taken = new ArrayList<>();
    for (AggregateCallScanner.Call c : AggregateCallScanner.find(e)) {
      taken.add(new int[] {c.start(), c.end()});
    }
    List<Expr> byLength = new ArrayList<>(keys);
    byLength.sort((a, b) -> Integer.compare(b.tokens().size(), a.tokens().size()));
    for (Expr k : byLength) {
      taken.addAll(AggregateCallScanner.occurrences(e, k, taken));
    }
    for (Expr.ColumnRef c : e.columnRefs(scope.keySet())) {
      boolean covered = taken.stream().anyMatch(t -> c.start() >= t[0] && c.end() <= t[1]);
      if (!covered) {
        Expr col = e.slice(c.start(), c.end());
        if (keys.stream().noneMatch(k -> k.canonical().equals(col.canonical()))) {
          keys.add(col);
        }
      }
    }
  }

  private Aggregation typed(
      FromNode from,
      List<Expr> keys,
      List<Map.Entry<String, AggregateCallScanner.Call>> calls,
      Expr having,
      boolean distinct)
      throws SQLException {
    String fromSql = NewStateSql.fromItem(from, false);
    List<String> plain = new ArrayList<>();
    keys.forEach(k -> plain.add(k.sql()));
    for (Map.Entry<String, AggregateCallScanner.Call> c : calls) {
      if (c.getValue().arg() != null) {
        plain.add(c.getValue().arg().sql());
      }
    }
    List<ColumnInfo> plainTypes = List.of();
    if (!plain.isEmpty()) {
      plainTypes = catalog.probe(select(plain) + " FROM " + fromSql);
    }
    List<ColumnInfo> resultTypes = List.of();
    if (!calls.isEmpty()) {
      List<String> whole = new ArrayList<>();
      for (Map.Entry<String, AggregateCallScanner.Call> c : calls) {
        whole.add(c.getKey());
      }
      resultTypes = catalog.probe(select(whole) + " FROM " + fromSql);
    }
    List<Aggregation.GroupKey> groupKeys = new ArrayList<>();
    for (int i = 0; i < keys.size(); i++) {
      TypeRef t = plainTypes.get(i).type();
      if (!t.hashable() || !t.orderable()) {
        throw new Unsupported("grouping by type " + t.sqlName() + " (no btree and hash support)");
      }
      groupKeys.add(new Aggregation.GroupKey(keys.get(i), t));
    }
    List<AggCall> aggs = new ArrayList<>();
    int argAt = keys.size();
    for (int i = 0; i < calls.size(); i++) {
      AggregateCallScanner.Call c = calls.get(i).getValue();
      TypeRef argType = c.arg() == null ? null : plainTypes.get(argAt++).type();
      AggCall.Kind kind =
          switch (c.name()) {
            case "count" -> c.arg() == null ? AggCall.Kind.COUNT_STAR : AggCall.Kind.COUNT;
            case "sum" -> AggCall.Kind.SUM;
            case "avg" -> AggCall.Kind.AVG;
            case "min" -> AggCall.Kind.MIN;
            default -> AggCall.Kind.MAX;
          };
      aggs.add(
          new AggCall(
              kind,
              Expr.of(calls.get(i).getKey()),
              c.arg(),
              c.filter(),
              argType,
              resultTypes.get(i).type()));
    }
    return new Aggregation(groupKeys, aggs, having, distinct);
  }

  private static String select(List<String> exprs) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < exprs.size(); i++) {
      out.add(exprs.get(i) + " AS e" + (i + 1));
    }
    return "SELECT " + String.join(", ", out);
  }
}
