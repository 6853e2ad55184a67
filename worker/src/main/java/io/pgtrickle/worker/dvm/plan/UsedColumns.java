package io.pgtrickle.worker.dvm.plan;

import io.pgtrickle.worker.dvm.catalog.ColumnInfo;
import io.pgtrickle.worker.dvm.catalog.RelationInfo;
import io.pgtrickle.worker.dvm.parse.Expr;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The columns of each source the query reads (plus its primary key), so that a source's changes are
 * decoded into only those columns. A source read through renamed columns ({@code t AS x(a, b)}) is
 * decoded whole.
 */
final class UsedColumns {

  private UsedColumns() {}

  /** Per source index: the used columns in table order, or null for every column. */
  static List<List<String>> of(QueryNode root, List<RelationInfo> sources) {
    List<Set<String>> used = new ArrayList<>();
    boolean[] whole = new boolean[sources.size()];
    for (int i = 0; i < sources.size(); i++) {
      used.add(new LinkedHashSet<>(sources.get(i).primaryKey()));
    }
    collect(root, used, whole);
    List<List<String>> out = new ArrayList<>();
    for (int i = 0; i < sources.size(); i++) {
      if (whole[i]) {
        out.add(null);
        continue;
      }
      List<String> cols = new ArrayList<>();
      for (ColumnInfo c : sources.get(i).columns()) {
        if (used.get(i).contains(c.name())) {
          cols.add(c.name());
        }
      }
      // jsonb_to_record needs at least one column: a table read only by count(*) is decoded whole.
      out.add(cols.isEmpty() ? null : cols);
    }
    return out;
  }

  private static void collect(QueryNode node, List<Set<String>> used, boolean[] whole) {
    if (node instanceof UnionAll u) {
      u.branches().forEach(b -> collect(b, used, whole));
      return;
    }
    Block b = (Block) node;
    List<Expr> exprs = new ArrayList<>();
    b.outputs().forEach(o -> exprs.add(o.expr()));
    if (b.where() != null) {
      exprs.add(b.where());
    }
    if (b.aggregated()) {
      b.aggregation().keys().forEach(k -> exprs.add(k.expr()));
      if (b.aggregation().having() != null) {
        exprs.add(b.aggregation().having());
      }
    }
    conditions(b.from(), exprs);
    for (FromNode item : Identity.items(b.from())) {
      if (item instanceof FromNode.Subquery s) {
        collect(s.query(), used, whole);
        continue;
      }
      FromNode.Table t = (FromNode.Table) item;
      boolean renamed = false;
      for (int i = 0; i < t.columnNames().size(); i++) {
        renamed |= !t.columnNames().get(i).equals(t.relation().columns().get(i).name());
      }
      if (renamed) {
        whole[t.sourceIndex()] = true;
        continue;
      }
      for (Expr e : exprs) {
        for (Expr.ColumnRef c : e.columnRefs(Set.of(t.alias()))) {
          used.get(t.sourceIndex()).add(c.column());
        }
      }
    }
  }

  private static void conditions(FromNode f, List<Expr> out) {
    if (f instanceof FromNode.InnerJoin j) {
      out.addAll(j.conditions());
      j.parts().forEach(p -> conditions(p, out));
    } else if (f instanceof FromNode.LeftJoin l) {
      out.add(l.condition());
      conditions(l.left(), out);
      conditions(l.right(), out);
    }
  }
}
