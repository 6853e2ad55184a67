package io.pgtrickle.worker.dvm.plan;

import io.pgtrickle.worker.dvm.catalog.TypeRef;
import io.pgtrickle.worker.dvm.plan.FromNode.Subquery;
import io.pgtrickle.worker.dvm.plan.FromNode.Table;
import io.pgtrickle.worker.dvm.sql.Sql;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Row identity: columns that tell a query's result rows apart, so that a change to a row can be
 * applied to exactly that row. A table's identity is its primary key; a join's, the identities of
 * its items (NULL for NULL-padded items); a group's, its grouping keys; a UNION ALL's, the branch
 * number and the branch's identity. A query over a table without a primary key has none: its rows
 * are counted instead (duplicates are real rows).
 */
public final class Identity {

  /** Name of the i-th (1-based) identity column of a derived table. */
  public static String column(int i) {
    return "__pgt_i" + i;
  }

  /** Column a subquery on the NULL-padded side of a LEFT JOIN adds: 1 for a real row. */
  public static final String MARKER = "__pgt_m";

  /** The type of branch numbers and markers. */
  public static final TypeRef INT4 =
      new TypeRef(
          TypeRef.INT4, -1, 0, "integer", TypeRef.Family.INTEGER, true, true, true, null, false);

  private Identity() {}

  /** The identity's column types, or empty if some row source has no key. */
  public static Optional<List<TypeRef>> types(QueryNode node) {
    if (node instanceof UnionAll u) {
      List<TypeRef> out = new ArrayList<>(List.of(INT4));
      for (QueryNode b : u.branches()) {
        Optional<List<TypeRef>> bt = types(b);
        if (bt.isEmpty()) {
          return Optional.empty();
        }
        out.addAll(bt.get());
      }
      return Optional.of(out);
    }
    Block b = (Block) node;
    if (b.aggregated()) {
      return Optional.of(b.aggregation().keys().stream().map(k -> k.type()).toList());
    }
    List<TypeRef> out = new ArrayList<>();
    for (FromNode item : items(b.from())) {
      if (item instanceof Table t) {
        if (!t.relation().keyed()) {
          return Optional.empty();
        }
        for (String pk : t.relation().primaryKey()) {
          out.add(t.relation().column(pk).orElseThrow().type());
        }
      } else {
        Subquery s = (Subquery) item;
        Optional<List<TypeRef>> st = types(s.query());
        if (st.isEmpty()) {
          return Optional.empty();
        }
        out.addAll(st.get());
        if (s.nullable()) {
          out.add(INT4);
        }
      }
    }
    return Optional.of(out);
  }

  /**
   * For each identity column (as {@link #types}), whether it is never NULL: primary-key columns
   * outside the NULL-padded side of a LEFT JOIN, grouping keys that are such NOT NULL columns,
   * branch numbers. Then rows can be matched with {@code =} on a unique index.
   */
  public static List<Boolean> nonNull(QueryNode node) {
    if (node instanceof UnionAll u) {
      List<Boolean> out = new ArrayList<>(List.of(true));
      for (QueryNode b : u.branches()) {
        types(b).orElseThrow().forEach(t -> out.add(false));
      }
      return out;
    }
    Block b = (Block) node;
    java.util.Set<String> padded = new java.util.HashSet<>();
    paddedAliases(b.from(), false, padded);
    List<Boolean> out = new ArrayList<>();
    if (b.aggregated()) {
      for (Aggregation.GroupKey k : b.aggregation().keys()) {
        out.add(notNullColumn(k.expr(), b.from(), padded));
      }
      return out;
    }
    for (FromNode item : items(b.from())) {
      boolean isPadded = padded.contains(item.aliases().get(0));
      if (item instanceof Table t) {
        t.relation().primaryKey().forEach(pk -> out.add(!isPadded));
      } else {
        Subquery s = (Subquery) item;
        for (boolean nn : nonNull(s.query())) {
          out.add(nn && !isPadded);
        }
        if (s.nullable()) {
          out.add(false);
        }
      }
    }
    return out;
  }

  private static void paddedAliases(FromNode f, boolean padded, java.util.Set<String> out) {
    if (f instanceof FromNode.InnerJoin j) {
      j.parts().forEach(p -> paddedAliases(p, padded, out));
    } else if (f instanceof FromNode.LeftJoin l) {
      paddedAliases(l.left(), padded, out);
      paddedAliases(l.right(), true, out);
    } else if (padded) {
      out.add(f.aliases().get(0));
    }
  }

  /** True if {@code e} is {@code alias.column} of a NOT NULL column of an unpadded table. */
  private static boolean notNullColumn(
      io.pgtrickle.worker.dvm.parse.Expr e, FromNode from, java.util.Set<String> padded) {
    List<io.pgtrickle.worker.dvm.parse.Token> t =
        io.pgtrickle.worker.dvm.parse.Expr.of(e.canonical()).tokens();
    if (t.size() != 3
        || !t.get(1).is(".")
        || !t.get(0).isIdentifier()
        || !t.get(2).isIdentifier()) {
      return false;
    }
    String alias = t.get(0).identifierName();
    String column = t.get(2).identifierName();
    if (padded.contains(alias)) {
      return false;
    }
    for (FromNode item : items(from)) {
      if (item instanceof Table tb && tb.alias().equals(alias)) {
        int i = tb.columnNames().indexOf(column);
        return i >= 0 && tb.relation().columns().get(i).notNull();
      }
    }
    return false;
  }

  /**
   * The identity expressions of a block's rows, in the scope of its FROM items (aggregate blocks:
   * the grouping keys).
   */
  public static List<String> exprs(Block b) {
    if (b.aggregated()) {
      return b.aggregation().keys().stream().map(k -> k.expr().sql()).toList();
    }
    List<String> out = new ArrayList<>();
    for (FromNode item : items(b.from())) {
      if (item instanceof Table t) {
        t.keyColumns().forEach(c -> out.add(Sql.column(t.alias(), c)));
      } else {
        Subquery s = (Subquery) item;
        int n = types(s.query()).orElseThrow().size();
        for (int i = 1; i <= n; i++) {
          out.add(Sql.column(s.alias(), column(i)));
        }
        if (s.nullable()) {
          out.add(Sql.column(s.alias(), MARKER));
        }
      }
    }
    return out;
  }

  /** The leaf FROM items (tables and subqueries) of a tree, left to right. */
  public static List<FromNode> items(FromNode f) {
    List<FromNode> out = new ArrayList<>();
    collect(f, out);
    return out;
  }

  private static void collect(FromNode f, List<FromNode> out) {
    if (f instanceof FromNode.InnerJoin j) {
      j.parts().forEach(p -> collect(p, out));
    } else if (f instanceof FromNode.LeftJoin l) {
      collect(l.left(), out);
      collect(l.right(), out);
    } else {
      out.add(f);
    }
  }
}
