package io.pgtrickle.worker.dvm.sql;

import io.pgtrickle.worker.dvm.catalog.ColumnInfo;
import io.pgtrickle.worker.dvm.catalog.TypeRef;
import io.pgtrickle.worker.dvm.parse.Expr;
import io.pgtrickle.worker.dvm.plan.Aggregation;
import io.pgtrickle.worker.dvm.plan.Block;
import io.pgtrickle.worker.dvm.plan.FromNode;
import io.pgtrickle.worker.dvm.plan.Identity;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The delta of an aggregate block used inside a larger query (a subquery in FROM, a UNION ALL
 * branch): its affected groups K (the grouping keys of its input's delta) are computed on the new
 * state (weight +1) and on the old state (weight -1). The old state of the input is the new state
 * minus the delta, consolidated and expanded back into rows, so PostgreSQL's own aggregates (MIN,
 * MAX, float sums, NULL rules) give exactly the old result.
 */
final class GroupDeltaSql {

  private final DeltaBuilder delta;
  private final Block block;
  private final Aggregation agg;
  private final String k;
  private final Set<String> aliases;

  GroupDeltaSql(DeltaBuilder delta, Block block, int number) {
    this.delta = delta;
    this.block = block;
    this.agg = block.aggregation();
    this.k = "__pgt_k" + number;
    this.aliases = new java.util.HashSet<>(block.from().aliases());
  }

  String query(boolean marker) {
    List<Term> terms = delta.terms(block.from());
    List<String> keyArms = new ArrayList<>();
    for (Term t : terms) {
      List<String> keys = new ArrayList<>();
      for (int j = 0; j < agg.keys().size(); j++) {
        keys.add(agg.keys().get(j).expr().sql() + " AS __pgt_g" + (j + 1));
      }
      if (keys.isEmpty()) {
        keys.add("1 AS __pgt_g0");
      }
      keyArms.add("SELECT " + String.join(", ", keys) + t.fromWhere(DeltaBuilder.where(block)));
    }
    String kCte =
        k
            + " AS (SELECT DISTINCT * FROM ("
            + String.join(" UNION ALL ", keyArms)
            + ") AS __pgt_ka)";
    return "WITH " + kCte + " " + newRows(marker) + " UNION ALL " + oldRows(terms, marker);
  }

  /** Condition: the row's group is one of K (evaluated in the FROM items' scope). */
  private List<String> inK() {
    if (agg.keys().isEmpty()) {
      return List.of();
    }
    List<String> eq = new ArrayList<>();
    for (int j = 0; j < agg.keys().size(); j++) {
      eq.add(
          "__pgt_k.__pgt_g"
              + (j + 1)
              + " IS NOT DISTINCT FROM ("
              + agg.keys().get(j).expr().sql()
              + ")");
    }
    return List.of(
        "EXISTS (SELECT 1 FROM " + k + " AS __pgt_k WHERE " + String.join(" AND ", eq) + ")");
  }

  private String groupTail(List<String> keys, String having) {
    List<String> conds = new ArrayList<>();
    if (agg.keys().isEmpty()) {
      conds.add("EXISTS (SELECT 1 FROM " + k + ")");
    }
    if (having != null) {
      conds.add(having);
    }
    return (keys.isEmpty() ? "" : " GROUP BY " + String.join(", ", keys))
        + (conds.isEmpty() ? "" : " HAVING " + NewStateSql.conjunction(conds));
  }

  private String newRows(boolean marker) {
    List<String> keys = agg.keys().stream().map(g -> g.expr().sql()).toList();
    List<String> select =
        outputs(block.outputs().stream().map(o -> o.expr()).toList(), keys, marker, "1");
    List<String> where = new ArrayList<>(DeltaBuilder.where(block));
    where.addAll(inK());
    return "SELECT "
        + String.join(", ", select)
        + " FROM "
        + delta.newItem(block.from())
        + (where.isEmpty() ? "" : " WHERE " + NewStateSql.conjunction(where))
        + groupTail(keys, agg.having() == null ? null : agg.having().sql());
  }

  /** Select list: outputs, identity (the keys) if wanted, marker, weight. */
  private List<String> outputs(List<Expr> exprs, List<String> keys, boolean marker, String weight) {
    List<String> select = new ArrayList<>();
    for (int i = 0; i < exprs.size(); i++) {
      select.add(exprs.get(i).sql() + " AS " + Sql.ident(block.outputs().get(i).name()));
    }
    if (delta.identity()) {
      for (int j = 0; j < agg.keys().size(); j++) {
        select.add(keys.get(j) + " AS " + Identity.column(j + 1));
      }
    }
    if (marker) {
      select.add("1 AS " + Identity.MARKER);
    }
    select.add(weight + "::int AS __pgt_w");
    return select;
  }

  private String oldRows(List<Term> terms, boolean marker) {
    Map<String, TypeRef> image = imageColumns();
    List<String> names = new ArrayList<>(image.keySet());
    List<String> imageSelect = new ArrayList<>();
    for (int c = 0; c < names.size(); c++) {
      imageSelect.add(names.get(c) + " AS __pgt_c" + (c + 1));
    }
    List<String> arms = new ArrayList<>();
    List<String> newWhere = new ArrayList<>(DeltaBuilder.where(block));
    newWhere.addAll(inK());
    arms.add(
        "SELECT "
            + join(imageSelect, "1 AS __pgt_w")
            + " FROM "
            + delta.newItem(block.from())
            + (newWhere.isEmpty() ? "" : " WHERE " + NewStateSql.conjunction(newWhere)));
    for (Term t : terms) {
      arms.add(
          "SELECT "
              + join(imageSelect, "-(" + t.weight() + ") AS __pgt_w")
              + t.fromWhere(DeltaBuilder.where(block)));
    }
    List<String> groupBy = new ArrayList<>();
    List<String> consolidatedSelect = new ArrayList<>();
    List<TypeRef> types = new ArrayList<>(image.values());
    for (int c = 0; c < names.size(); c++) {
      String ref = "__pgt_c" + (c + 1);
      groupBy.addAll(Consolidation.groupBy(ref, types.get(c)));
      consolidatedSelect.add(Consolidation.select(ref, types.get(c)) + " AS " + ref);
    }
    String consolidated =
        "SELECT "
            + join(consolidatedSelect, "sum(__pgt_w) AS __pgt_w")
            + " FROM ("
            + String.join(" UNION ALL ", arms)
            + ") AS __pgt_oa"
            + (groupBy.isEmpty() ? "" : " GROUP BY " + String.join(", ", groupBy))
            + " HAVING sum(__pgt_w) > 0";
    Map<String, String> rename = new LinkedHashMap<>();
    for (int c = 0; c < names.size(); c++) {
      rename.put(names.get(c), "__pgt_o.__pgt_c" + (c + 1));
    }
    List<Expr> outs = new ArrayList<>();
    for (Block.Output o : block.outputs()) {
      outs.add(rewrite(o.expr(), rename));
    }
    List<String> keys = new ArrayList<>();
    for (Aggregation.GroupKey g : agg.keys()) {
      keys.add(rewrite(g.expr(), rename).sql());
    }
    List<String> select = outputs(outs, keys, marker, "-1");
    String having = agg.having() == null ? null : rewrite(agg.having(), rename).sql();
    String sql =
        "SELECT "
            + String.join(", ", select)
            + " FROM ("
            + consolidated
            + ") AS __pgt_o CROSS JOIN LATERAL generate_series(1, __pgt_o.__pgt_w) AS __pgt_copy"
            + groupTail(keys, having);
    return sql;
  }

  private static String join(List<String> select, String last) {
    List<String> out = new ArrayList<>(select);
    out.add(last);
    return String.join(", ", out);
  }

  private Expr rewrite(Expr e, Map<String, String> rename) {
    return e.mapColumns(aliases, c -> rename.get(Sql.column(c.alias(), c.column())));
  }

  /** Every column the block's outputs, keys and HAVING read, with its type, by SQL reference. */
  private Map<String, TypeRef> imageColumns() {
    Map<String, FromNode> scope = new LinkedHashMap<>();
    for (FromNode item : Identity.items(block.from())) {
      scope.put(item.aliases().get(0), item);
    }
    List<Expr> exprs = new ArrayList<>();
    block.outputs().forEach(o -> exprs.add(o.expr()));
    agg.keys().forEach(g -> exprs.add(g.expr()));
    if (agg.having() != null) {
      exprs.add(agg.having());
    }
    Map<String, TypeRef> out = new LinkedHashMap<>();
    for (Expr e : exprs) {
      for (Expr.ColumnRef c : e.columnRefs(aliases)) {
        out.putIfAbsent(
            Sql.column(c.alias(), c.column()), typeOf(scope.get(c.alias()), c.column()));
      }
    }
    return out;
  }

  private static TypeRef typeOf(FromNode item, String column) {
    if (item instanceof FromNode.Table t) {
      return t.relation().columns().get(t.columnNames().indexOf(column)).type();
    }
    for (ColumnInfo c : ((FromNode.Subquery) item).query().columns()) {
      if (c.name().equals(column)) {
        return c.type();
      }
    }
    throw new IllegalStateException("no column " + column);
  }
}
