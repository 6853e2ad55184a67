package io.pgtrickle.worker.dvm.sql;

import io.pgtrickle.worker.dvm.catalog.ColumnInfo;
import io.pgtrickle.worker.dvm.catalog.TypeRef;
import io.pgtrickle.worker.dvm.plan.Block;
import io.pgtrickle.worker.dvm.plan.FromNode;
import io.pgtrickle.worker.dvm.plan.FromNode.InnerJoin;
import io.pgtrickle.worker.dvm.plan.FromNode.LeftJoin;
import io.pgtrickle.worker.dvm.plan.FromNode.Subquery;
import io.pgtrickle.worker.dvm.plan.FromNode.Table;
import io.pgtrickle.worker.dvm.plan.Identity;
import io.pgtrickle.worker.dvm.plan.QueryNode;
import io.pgtrickle.worker.dvm.plan.UnionAll;
import java.util.ArrayList;
import java.util.List;

/**
 * SQL of a query node over the current contents of its tables ("new state"), optionally with its
 * identity columns ({@code __pgt_i1..}) and the NULL-padding marker ({@code __pgt_m}).
 */
public final class NewStateSql {

  private NewStateSql() {}

  /**
   * {@code SELECT ...} of the node.
   *
   * @param identity add the identity columns (the node must have an identity)
   * @param marker add {@code 1 AS __pgt_m}
   */
  public static String query(QueryNode node, boolean identity, boolean marker) {
    if (node instanceof UnionAll u) {
      return union(u, identity, marker);
    }
    Block b = (Block) node;
    List<String> select = new ArrayList<>();
    for (Block.Output o : b.outputs()) {
      select.add(o.expr().sql() + " AS " + Sql.ident(o.name()));
    }
    if (identity) {
      List<String> ids = Identity.exprs(b);
      for (int i = 0; i < ids.size(); i++) {
        select.add(ids.get(i) + " AS " + Identity.column(i + 1));
      }
    }
    if (marker) {
      select.add("1 AS " + Identity.MARKER);
    }
    StringBuilder sb = new StringBuilder("SELECT ").append(String.join(", ", select));
    sb.append(" FROM ").append(fromItem(b.from(), identity));
    if (b.where() != null) {
      sb.append(" WHERE ").append(b.where().sql());
    }
    if (b.aggregated()) {
      if (!b.aggregation().keys().isEmpty()) {
        sb.append(" GROUP BY ")
            .append(
                String.join(
                    ", ", b.aggregation().keys().stream().map(k -> k.expr().sql()).toList()));
      }
      if (b.aggregation().having() != null) {
        sb.append(" HAVING ").append(b.aggregation().having().sql());
      }
    }
    return sb.toString();
  }

  private static String union(UnionAll u, boolean identity, boolean marker) {
    List<List<TypeRef>> slots = new ArrayList<>();
    if (identity) {
      for (QueryNode b : u.branches()) {
        slots.add(Identity.types(b).orElseThrow());
      }
    }
    List<String> arms = new ArrayList<>();
    for (int bi = 0; bi < u.branches().size(); bi++) {
      QueryNode branch = u.branches().get(bi);
      List<String> select = new ArrayList<>();
      List<ColumnInfo> bc = branch.columns();
      for (int c = 0; c < bc.size(); c++) {
        select.add(
            Sql.column("__pgt_b", bc.get(c).name())
                + " AS "
                + Sql.ident(u.columns().get(c).name()));
      }
      if (identity) {
        select.addAll(unionIdentity(slots, bi, "__pgt_b"));
      }
      if (marker) {
        select.add("1 AS " + Identity.MARKER);
      }
      arms.add(
          "SELECT "
              + String.join(", ", select)
              + " FROM ("
              + query(branch, identity, false)
              + ") AS __pgt_b");
    }
    return String.join(" UNION ALL ", arms);
  }

  /**
   * Identity columns of branch {@code bi} of a UNION ALL: the branch number, then one slot per
   * identity column of every branch, NULL outside the branch's own.
   *
   * @param alias the alias the branch's identity columns are read from
   */
  public static List<String> unionIdentity(List<List<TypeRef>> slots, int bi, String alias) {
    List<String> out = new ArrayList<>();
    out.add((bi + 1) + " AS " + Identity.column(1));
    int col = 2;
    for (int s = 0; s < slots.size(); s++) {
      for (int k = 0; k < slots.get(s).size(); k++) {
        String value =
            s == bi
                ? Sql.column(alias, Identity.column(k + 1))
                : "NULL::" + slots.get(s).get(k).sqlName();
        out.add(value + " AS " + Identity.column(col++));
      }
    }
    return out;
  }

  /** A FROM item (one item, joins parenthesized) over the current tables. */
  public static String fromItem(FromNode f, boolean identity) {
    if (f instanceof Table t) {
      return table(t);
    }
    if (f instanceof Subquery s) {
      return "("
          + query(s.query(), identity, identity && s.nullable())
          + ") AS "
          + Sql.ident(s.alias());
    }
    if (f instanceof LeftJoin l) {
      return "("
          + fromItem(l.left(), identity)
          + " LEFT JOIN "
          + fromItem(l.right(), identity)
          + " ON "
          + l.condition().sql()
          + ")";
    }
    InnerJoin j = (InnerJoin) f;
    StringBuilder sb = new StringBuilder("(").append(fromItem(j.parts().get(0), identity));
    for (int i = 1; i < j.parts().size(); i++) {
      sb.append(" INNER JOIN ").append(fromItem(j.parts().get(i), identity)).append(" ON ");
      if (i < j.parts().size() - 1 || j.conditions().isEmpty()) {
        sb.append("TRUE");
      } else {
        sb.append(conjunction(j.conditions().stream().map(e -> e.sql()).toList()));
      }
    }
    return sb.append(")").toString();
  }

  /** {@code schema.table AS alias}, with a column alias list when the query renamed columns. */
  public static String table(Table t) {
    return Sql.qualified(t.relation().schema(), t.relation().name())
        + " AS "
        + Sql.ident(t.alias())
        + columnAliases(t);
  }

  /** {@code (a, b, ...)} when the query renamed the table's columns, else empty. */
  public static String columnAliases(Table t) {
    List<ColumnInfo> cols = t.relation().columns();
    boolean renamed = false;
    for (int i = 0; i < cols.size(); i++) {
      renamed |= !cols.get(i).name().equals(t.columnNames().get(i));
    }
    if (!renamed) {
      return "";
    }
    return "(" + String.join(", ", t.columnNames().stream().map(Sql::ident).toList()) + ")";
  }

  /** {@code (a) AND (b)}, or TRUE for none. */
  public static String conjunction(List<String> conditions) {
    if (conditions.isEmpty()) {
      return "TRUE";
    }
    if (conditions.size() == 1) {
      return conditions.get(0);
    }
    return String.join(" AND ", conditions.stream().map(c -> "(" + c + ")").toList());
  }
}
