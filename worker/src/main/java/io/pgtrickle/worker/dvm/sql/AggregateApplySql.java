package io.pgtrickle.worker.dvm.sql;

import io.pgtrickle.worker.dvm.catalog.TypeRef;
import io.pgtrickle.worker.dvm.plan.AggCall;
import io.pgtrickle.worker.dvm.plan.Aggregation;
import io.pgtrickle.worker.dvm.plan.Block;
import io.pgtrickle.worker.dvm.storage.AggState;
import io.pgtrickle.worker.dvm.storage.StorageColumn;
import io.pgtrickle.worker.dvm.storage.StorageLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * The apply statement of a GROUP BY / aggregate / DISTINCT query (counting algorithm). The delta's
 * rows are summed per group ({@code __pgt_dagg}); each affected group's stored state is read
 * ({@code __pgt_old}) and advanced:
 *
 * <ul>
 *   <li>COUNT: stored + sum of weights; SUM/AVG of integers and numeric: stored sum + sum of value
 *       * weight in numeric (exact), with the non-NULL count deciding NULL (an all-NULL group sums
 *       to NULL), and for numeric the largest input scale, so the result's display scale equals a
 *       recomputation's;
 *   <li>the group is recomputed from the sources ("rescan", only that group) when addition cannot
 *       give the answer: MIN/MAX when a removed value was at or beyond the stored extreme; SUM/AVG
 *       of float (no drift) or of other types; NaN or infinity involved; a numeric scale that may
 *       shrink; a group missing from storage under HAVING (it may exist below the threshold);
 *   <li>a group with no rows left is deleted (a scalar aggregate keeps its one row), a group
 *       failing HAVING is deleted.
 * </ul>
 */
public final class AggregateApplySql {

  private final ApplyContext ctx;
  private final Block block;
  private final Aggregation agg;
  private final StorageLayout layout;
  private final DeltaBuilder delta;

  private AggregateApplySql(ApplyContext ctx) {
    this.ctx = ctx;
    this.block = (Block) ctx.query().root();
    this.agg = block.aggregation();
    this.layout = ctx.layout();
    this.delta = new DeltaBuilder(ctx.changed(), false);
  }

  /** The statement for {@code ctx} (AGGREGATE layout). */
  public static String build(ApplyContext ctx) {
    return new AggregateApplySql(ctx).build();
  }

  private String build() {
    List<String> ctes = new ArrayList<>(ctx.sourceCtes(false));
    ctes.add("__pgt_delta AS (" + deltaRows() + ")");
    ctes.add("__pgt_dagg AS (" + deltaAggregate() + ")");
    ctes.add("__pgt_old AS (" + oldState() + ")");
    ctes.add("__pgt_new AS (" + new AggregateNewState(block, layout, delta).sql() + ")");
    String with = "WITH " + String.join(", ", ctes);
    if (!ctx.merge()) {
      return with + ", " + modifyingCtes();
    }
    return ctx.returnsCounts() ? ApplyCounts.mergeReturning(with, merge()) : with + " " + merge();
  }

  private String deltaRows() {
    List<String> arms = new ArrayList<>();
    for (Term t : delta.terms(block.from())) {
      List<String> select = new ArrayList<>();
      for (int j = 0; j < agg.keys().size(); j++) {
        select.add(agg.keys().get(j).expr().sql() + " AS __pgt_g" + (j + 1));
      }
      for (int i = 0; i < agg.calls().size(); i++) {
        AggCall c = agg.calls().get(i);
        if (c.arg() != null) {
          select.add(c.arg().sql() + " AS __pgt_a" + (i + 1));
        }
        if (c.filter() != null) {
          select.add("(" + c.filter().sql() + ") AS __pgt_f" + (i + 1));
        }
      }
      select.add(t.weight() + " AS __pgt_w");
      arms.add("SELECT " + String.join(", ", select) + t.fromWhere(DeltaBuilder.where(block)));
    }
    return String.join(" UNION ALL ", arms);
  }

  private List<String> keyColumns(String alias) {
    List<String> out = new ArrayList<>();
    for (int j = 0; j < agg.keys().size(); j++) {
      out.add(alias + "__pgt_g" + (j + 1));
    }
    return out;
  }

  /** FILTER condition of call i in the delta: its FILTER and, with an argument, non-NULL. */
  private static String inputs(AggCall c, int n) {
    List<String> conds = new ArrayList<>();
    if (c.filter() != null) {
      conds.add("__pgt_f" + n);
    }
    if (c.arg() != null) {
      conds.add("__pgt_a" + n + " IS NOT NULL");
    }
    return conds.isEmpty() ? "TRUE" : String.join(" AND ", conds);
  }

  private String deltaAggregate() {
    List<String> select = new ArrayList<>(keyColumns(""));
    // A scalar aggregate has its one row even when no delta row passed the filter: sum() of
    // nothing is NULL, which would store a NULL count (and, on 14, make the next apply insert a
    // second row, the stored one no longer "found").
    select.add(
        agg.keys().isEmpty()
            ? "coalesce(sum(__pgt_w), 0) AS __pgt_dc"
            : "sum(__pgt_w) AS __pgt_dc");
    for (AggState s : layout.aggregates()) {
      AggCall c = s.call();
      int n = s.index();
      String in = inputs(c, n);
      String a = "__pgt_a" + n;
      switch (c.kind()) {
        case COUNT_STAR, COUNT ->
            select.add("coalesce(sum(__pgt_w) FILTER (WHERE " + in + "), 0) AS __pgt_dv" + n);
        case SUM, AVG -> {
          if (c.algebraic()) {
            // smallint/integer inputs: x * (+1/-1) in bigint cannot overflow, and sum(bigint)
            // is exact (numeric result, 128-bit accumulator): no numeric arithmetic per image.
            long argOid = c.argType().oid();
            String wide =
                argOid == TypeRef.INT2 || argOid == TypeRef.INT4 ? "::bigint" : "::numeric";
            select.add(
                "sum((" + a + ")" + wide + " * __pgt_w) FILTER (WHERE " + in + ") AS __pgt_ds" + n);
            select.add("coalesce(sum(__pgt_w) FILTER (WHERE " + in + "), 0) AS __pgt_dn" + n);
            if (c.argType().family() == TypeRef.Family.NUMERIC) {
              select.add(
                  "coalesce(bool_or("
                      + a
                      + " IN ('NaN', 'Infinity', '-Infinity')) FILTER (WHERE "
                      + in
                      + "), false) AS __pgt_dx"
                      + n);
            }
            if (s.scale() != null) {
              select.add(
                  "max(scale("
                      + a
                      + ")) FILTER (WHERE "
                      + in
                      + " AND __pgt_w > 0) AS __pgt_dsi"
                      + n);
              select.add(
                  "max(scale("
                      + a
                      + ")) FILTER (WHERE "
                      + in
                      + " AND __pgt_w < 0) AS __pgt_dsd"
                      + n);
            }
          } else {
            select.add("coalesce(bool_or(TRUE) FILTER (WHERE " + in + "), false) AS __pgt_dt" + n);
          }
        }
        case MIN, MAX -> {
          String f = c.kind() == AggCall.Kind.MIN ? "min" : "max";
          select.add(f + "(" + a + ") FILTER (WHERE " + in + " AND __pgt_w > 0) AS __pgt_di" + n);
          select.add(f + "(" + a + ") FILTER (WHERE " + in + " AND __pgt_w < 0) AS __pgt_dd" + n);
        }
      }
    }
    String sql = "SELECT " + String.join(", ", select) + " FROM __pgt_delta";
    if (!agg.keys().isEmpty()) {
      sql += " GROUP BY " + String.join(", ", keyColumns(""));
    }
    return sql;
  }

  private String rowHash(String alias) {
    return Consolidation.hash(keyColumns(alias));
  }

  /** Storage row {@code st} is the group of row {@code alias}. */
  private String match(String st, String alias) {
    List<String> conds = new ArrayList<>();
    if (layout.hashed()) {
      conds.add(st + "." + StorageLayout.ROW_ID + " = " + alias + "." + StorageLayout.ROW_ID);
    }
    for (int j = 0; j < layout.identity().size(); j++) {
      conds.add(
          st
              + "."
              + Sql.ident(layout.identity().get(j))
              + (layout.hashed() ? " IS NOT DISTINCT FROM " : " = ")
              + alias
              + ".__pgt_g"
              + (j + 1));
    }
    return String.join(" AND ", conds);
  }

  private String oldState() {
    List<String> select = new ArrayList<>(List.of("d.*"));
    select.add("st." + StorageLayout.COUNT + " AS __pgt_oc");
    select.add("(st." + StorageLayout.COUNT + " IS NOT NULL) AS __pgt_found");
    for (AggState s : layout.aggregates()) {
      int n = s.index();
      select.add("st." + Sql.ident(s.value()) + " AS __pgt_ov" + n);
      if (s.nonNull() != null) {
        select.add("st." + s.nonNull() + " AS __pgt_on" + n);
      }
      if (s.sum() != null) {
        select.add("st." + s.sum() + " AS __pgt_os" + n);
      }
      if (s.scale() != null) {
        select.add("st." + s.scale() + " AS __pgt_osc" + n);
      }
    }
    String dagg =
        layout.hashed()
            ? "(SELECT __pgt_dagg.*, "
                + rowHash("__pgt_dagg.")
                + " AS "
                + StorageLayout.ROW_ID
                + " FROM __pgt_dagg)"
            : "__pgt_dagg";
    return "SELECT "
        + String.join(", ", select)
        + " FROM "
        + dagg
        + " AS d LEFT JOIN "
        + ctx.target()
        + " AS st ON "
        + match("st", "d");
  }

  /** Column assignments of a storage row from a {@code __pgt_new} row {@code n}. */
  private List<String[]> assignments(boolean forInsert) {
    List<String[]> out = new ArrayList<>();
    for (StorageColumn col : layout.columns()) {
      String name = col.name();
      String value = null;
      int key = layout.identity().indexOf(name);
      if (key >= 0) {
        if (!forInsert) {
          continue;
        }
        value = "n.__pgt_g" + (key + 1);
      } else if (name.equals(StorageLayout.ROW_ID)) {
        if (!forInsert) {
          continue;
        }
        value = "n." + StorageLayout.ROW_ID;
      } else if (name.equals(StorageLayout.COUNT)) {
        value = "n.__pgt_nc";
      }
      for (AggState s : layout.aggregates()) {
        if (name.equals(s.value())) {
          value = "n.__pgt_nv" + s.index();
        } else if (name.equals(s.nonNull())) {
          value = "n.__pgt_nn" + s.index();
        } else if (name.equals(s.sum())) {
          value = "n.__pgt_ns" + s.index();
        } else if (name.equals(s.scale())) {
          value = "n.__pgt_nsc" + s.index();
        }
      }
      if (value == null) {
        value = derived(name);
      }
      out.add(new String[] {Sql.ident(name), value});
    }
    return out;
  }

  /** A visible column computed from keys and aggregate values, e.g. {@code sum(x) / count(*)}. */
  private String derived(String column) {
    for (Block.Output o : block.outputs()) {
      if (o.name().equals(column)) {
        return AggregateRewriter.rewrite(
            o.expr(), agg, i -> "n.__pgt_nv" + (i + 1), j -> "n.__pgt_g" + (j + 1));
      }
    }
    throw new IllegalStateException("no source for storage column " + column);
  }

  private String merge() {
    List<String[]> ins = assignments(true);
    List<String[]> upd = assignments(false);
    return "MERGE INTO "
        + ctx.target()
        + " AS __pgt_st USING __pgt_new AS n ON "
        + match("__pgt_st", "n")
        + " WHEN MATCHED AND NOT n.__pgt_keep THEN DELETE"
        + " WHEN MATCHED THEN UPDATE SET "
        + String.join(", ", upd.stream().map(a -> a[0] + " = " + a[1]).toList())
        + " WHEN NOT MATCHED AND n.__pgt_keep THEN INSERT ("
        + String.join(", ", ins.stream().map(a -> a[0]).toList())
        + ") VALUES ("
        + String.join(", ", ins.stream().map(a -> a[1]).toList())
        + ")";
  }

  private String modifyingCtes() {
    List<String[]> ins = assignments(true);
    List<String[]> upd = assignments(false);
    return "__pgt_del AS (DELETE FROM "
        + ctx.target()
        + " AS __pgt_st USING __pgt_new AS n WHERE "
        + match("__pgt_st", "n")
        + " AND NOT n.__pgt_keep RETURNING 1), __pgt_upd AS (UPDATE "
        + ctx.target()
        + " AS __pgt_st SET "
        + String.join(", ", upd.stream().map(a -> a[0] + " = " + a[1]).toList())
        + " FROM __pgt_new AS n WHERE "
        + match("__pgt_st", "n")
        + " AND n.__pgt_keep RETURNING 1), __pgt_ins AS (INSERT INTO "
        + ctx.target()
        + " ("
        + String.join(", ", ins.stream().map(a -> a[0]).toList())
        + ") SELECT "
        + String.join(", ", ins.stream().map(a -> a[1]).toList())
        + " FROM __pgt_new AS n WHERE NOT n.__pgt_found AND n.__pgt_keep RETURNING 1)"
        + ApplyCounts.select("__pgt_ins", "__pgt_upd", "__pgt_del");
  }
}
