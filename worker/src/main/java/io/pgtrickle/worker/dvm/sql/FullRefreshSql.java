package io.pgtrickle.worker.dvm.sql;

import io.pgtrickle.worker.dvm.plan.AggCall;
import io.pgtrickle.worker.dvm.plan.Aggregation;
import io.pgtrickle.worker.dvm.plan.Block;
import io.pgtrickle.worker.dvm.plan.DefiningQuery;
import io.pgtrickle.worker.dvm.plan.Identity;
import io.pgtrickle.worker.dvm.storage.AggState;
import io.pgtrickle.worker.dvm.storage.StorageColumn;
import io.pgtrickle.worker.dvm.storage.StorageLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * The statements of a full recompute: {@code DELETE} every row, then {@code INSERT} the query's
 * result with every bookkeeping column filled. Run in one transaction, readers see the old or the
 * new contents (no TRUNCATE: it would block them).
 */
public final class FullRefreshSql {

  private FullRefreshSql() {}

  /** {@code DELETE FROM target} and the INSERT. */
  public static List<String> build(DefiningQuery query, StorageLayout layout, String target) {
    return List.of("DELETE FROM " + target, insert(query, layout, target));
  }

  /** The INSERT filling an empty storage table. */
  public static String insert(DefiningQuery query, StorageLayout layout, String target) {
    List<String> cols = new ArrayList<>();
    List<String> values = new ArrayList<>();
    switch (layout.mode()) {
      case KEYED -> {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < layout.identity().size(); i++) {
          ids.add("q." + Identity.column(i + 1));
        }
        for (StorageColumn c : layout.visible()) {
          cols.add(Sql.ident(c.name()));
          values.add("q." + Sql.ident(c.name()));
        }
        for (StorageColumn h : layout.hidden()) {
          int at = layout.identity().indexOf(h.name());
          if (at >= 0) {
            cols.add(Sql.ident(h.name()));
            values.add(ids.get(at));
          }
        }
        if (layout.hashed()) {
          cols.add(StorageLayout.ROW_ID);
          values.add(Consolidation.hash(ids));
        }
        return "INSERT INTO "
            + target
            + " ("
            + String.join(", ", cols)
            + ") SELECT "
            + String.join(", ", values)
            + " FROM ("
            + NewStateSql.query(query.root(), true, false)
            + ") AS q";
      }
      case COUNTED -> {
        for (StorageColumn c : layout.visible()) {
          cols.add(Sql.ident(c.name()));
          values.add("q." + Sql.ident(c.name()));
        }
        cols.add(StorageLayout.ROW_ID);
        values.add(Consolidation.hash(new ArrayList<>(values)));
        return "INSERT INTO "
            + target
            + " ("
            + String.join(", ", cols)
            + ") SELECT "
            + String.join(", ", values)
            + " FROM ("
            + NewStateSql.query(query.root(), false, false)
            + ") AS q";
      }
      default -> {
        return aggregate((Block) query.root(), layout, target);
      }
    }
  }

  private static String aggregate(Block b, StorageLayout layout, String target) {
    Aggregation agg = b.aggregation();
    List<String> cols = new ArrayList<>();
    List<String> values = new ArrayList<>();
    for (Block.Output o : b.outputs()) {
      cols.add(Sql.ident(o.name()));
      values.add(o.expr().sql());
    }
    for (StorageColumn h : layout.hidden()) {
      String v = hiddenValue(h.name(), agg, layout);
      cols.add(Sql.ident(h.name()));
      values.add(v);
    }
    StringBuilder sb =
        new StringBuilder("INSERT INTO ")
            .append(target)
            .append(" (")
            .append(String.join(", ", cols))
            .append(") SELECT ")
            .append(String.join(", ", values))
            .append(" FROM ")
            .append(NewStateSql.fromItem(b.from(), false));
    if (b.where() != null) {
      sb.append(" WHERE ").append(b.where().sql());
    }
    if (!agg.keys().isEmpty()) {
      sb.append(" GROUP BY ")
          .append(String.join(", ", agg.keys().stream().map(k -> k.expr().sql()).toList()));
    }
    if (agg.having() != null) {
      sb.append(" HAVING ").append(agg.having().sql());
    }
    return sb.toString();
  }

  private static String hiddenValue(String name, Aggregation agg, StorageLayout layout) {
    if (name.equals(StorageLayout.ROW_ID)) {
      return Consolidation.hash(agg.keys().stream().map(k -> k.expr().sql()).toList());
    }
    if (name.equals(StorageLayout.COUNT)) {
      return "count(*)";
    }
    int key = layout.identity().indexOf(name);
    if (key >= 0) {
      return agg.keys().get(key).expr().sql();
    }
    for (AggState s : layout.aggregates()) {
      AggCall c = s.call();
      String filter = c.filter() == null ? "" : " FILTER (WHERE " + c.filter().sql() + ")";
      if (name.equals(s.value())) {
        return c.call().sql();
      }
      if (name.equals(s.nonNull())) {
        return "count(" + c.arg().sql() + ")" + filter;
      }
      if (name.equals(s.sum())) {
        return "(sum(" + c.arg().sql() + ")" + filter + ")::numeric";
      }
      if (name.equals(s.scale())) {
        return "max(scale(" + c.arg().sql() + "))" + filter;
      }
    }
    throw new IllegalStateException("no value for hidden column " + name);
  }
}
