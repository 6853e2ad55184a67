package io.pgtrickle.worker.dvm.sql;

import io.pgtrickle.worker.dvm.catalog.TypeRef;
import io.pgtrickle.worker.dvm.plan.Identity;
import io.pgtrickle.worker.dvm.storage.StorageColumn;
import io.pgtrickle.worker.dvm.storage.StorageLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * The apply statement of a query whose result is a bag of rows (no GROUP BY at the top): the delta
 * is consolidated (weights of equal rows added, zero dropped), then
 *
 * <ul>
 *   <li>KEYED: one row per identity, the insertion preferred to the removal, merged: a removal
 *       deletes, an insertion of a present identity updates (an UPDATE, or a key change seen as two
 *       identities), an insertion of an absent one inserts. When the delta is one chain of changes
 *       per identity (a single changed table, joined only with unchanged tables, no LEFT JOIN),
 *       consolidation is skipped: an identity's last image in the window (by position) decides, an
 *       insertion for an upsert, a removal for a delete;
 *   <li>COUNTED: for each distinct row content with weight w, |w| copies are deleted (w < 0) or w
 *       copies inserted (w > 0).
 * </ul>
 */
public final class BagApplySql {

  private BagApplySql() {}

  /** The statement for {@code ctx} (KEYED or COUNTED layouts). */
  public static String build(ApplyContext ctx) {
    StorageLayout layout = ctx.layout();
    boolean keyed = layout.mode() == StorageLayout.Mode.KEYED;
    String chain = keyed && !layout.identity().isEmpty() ? chainAlias(ctx) : null;
    DeltaBuilder builder = new DeltaBuilder(ctx.changed(), keyed);
    if (chain != null) {
      builder.withChainPositions(chain);
    }
    String delta = builder.deltaQuery(ctx.query().root(), false);
    List<String> ctes = new ArrayList<>(ctx.sourceCtes(chain != null));
    ctes.add("__pgt_delta AS (" + delta + ")");
    List<String> cols = new ArrayList<>();
    List<String> groupBy = new ArrayList<>();
    List<String> select = new ArrayList<>();
    for (StorageColumn c : layout.visible()) {
      String ref = Sql.ident(c.name());
      cols.add(ref);
      groupBy.addAll(Consolidation.groupBy(ref, c.type()));
      select.add(Consolidation.select(ref, c.type()) + " AS " + ref);
    }
    List<String> ids = new ArrayList<>();
    if (keyed) {
      for (int i = 0; i < layout.identity().size(); i++) {
        ids.add(Identity.column(i + 1));
      }
      groupBy.addAll(ids);
      select.addAll(ids);
    }
    String net =
        "__pgt_net AS "
            + (keyed ? "" : "MATERIALIZED ")
            + "(SELECT "
            + String.join(", ", select)
            + ", sum(__pgt_w) AS __pgt_w FROM __pgt_delta GROUP BY "
            + String.join(", ", groupBy)
            + " HAVING sum(__pgt_w) <> 0)";
    if (chain == null) {
      ctes.add(net);
    }
    return keyed ? keyed(ctx, ctes, cols, ids, chain != null) : counted(ctx, ctes, cols);
  }

  /**
   * The alias of the one changed table when the delta is a single chain per identity: the root is a
   * projection/filter/inner join of tables only, one of which changed, appearing once.
   */
  static String chainAlias(ApplyContext ctx) {
    if (!(ctx.query().root() instanceof io.pgtrickle.worker.dvm.plan.Block b)
        || b.aggregated()
        || ctx.changed().size() != 1) {
      return null;
    }
    String alias = null;
    if (!tablesAndInnerJoins(b.from())) {
      return null;
    }
    for (io.pgtrickle.worker.dvm.plan.FromNode item : Identity.items(b.from())) {
      io.pgtrickle.worker.dvm.plan.FromNode.Table t =
          (io.pgtrickle.worker.dvm.plan.FromNode.Table) item;
      if (ctx.changed().contains(t.sourceIndex())) {
        if (alias != null) {
          return null;
        }
        alias = t.alias();
      }
    }
    return alias;
  }

  private static boolean tablesAndInnerJoins(io.pgtrickle.worker.dvm.plan.FromNode f) {
    if (f instanceof io.pgtrickle.worker.dvm.plan.FromNode.Table) {
      return true;
    }
    if (f instanceof io.pgtrickle.worker.dvm.plan.FromNode.InnerJoin j) {
      return j.parts().stream().allMatch(BagApplySql::tablesAndInnerJoins);
    }
    return false;
  }

  private static String keyed(
      ApplyContext ctx, List<String> ctes, List<String> cols, List<String> ids, boolean chain) {
    StorageLayout layout = ctx.layout();
    // One row per identity, the insertion first; no identity columns: at most one row at all.
    // The sort keys come first in the row (identity, the change's position, the weight): the sort
    // then reads them at fixed offsets, not by walking the variable-width columns before them.
    List<String> applyCols = new ArrayList<>(ids);
    if (chain && !ids.isEmpty()) {
      applyCols.addAll(List.of("__pgt_lsn", "__pgt_seq"));
    }
    applyCols.add("__pgt_w");
    applyCols.addAll(cols);
    if (layout.hashed()) {
      applyCols.add(Consolidation.hash(ids) + " AS " + StorageLayout.ROW_ID);
    }
    ctes.add(
        "__pgt_apply AS (SELECT "
            + (ids.isEmpty() ? "" : "DISTINCT ON (" + String.join(", ", ids) + ") ")
            + String.join(", ", applyCols)
            + (chain ? " FROM __pgt_delta ORDER BY " : " FROM __pgt_net ORDER BY ")
            + (ids.isEmpty() ? "__pgt_w DESC LIMIT 1)" : String.join(", ", ids) + ", ")
            + (ids.isEmpty()
                ? ""
                : chain ? "__pgt_lsn DESC, __pgt_seq DESC, __pgt_w DESC)" : "__pgt_w DESC)"));
    String match = match(layout);
    List<String> differs = new ArrayList<>();
    List<String> set = new ArrayList<>();
    for (StorageColumn c : layout.visible()) {
      String ref = Sql.ident(c.name());
      differs.add(Consolidation.differs("__pgt_st." + ref, "d." + ref, c.type()));
      set.add(ref + " = d." + ref);
    }
    List<String> insertCols = new ArrayList<>(cols);
    List<String> insertVals = new ArrayList<>();
    cols.forEach(c -> insertVals.add("d." + c));
    for (StorageColumn h : layout.hidden()) {
      int at = layout.identity().indexOf(h.name());
      if (at >= 0) {
        insertCols.add(Sql.ident(h.name()));
        insertVals.add("d." + Identity.column(at + 1));
      }
    }
    if (layout.hashed()) {
      insertCols.add(StorageLayout.ROW_ID);
      insertVals.add("d." + StorageLayout.ROW_ID);
    }
    String with = "WITH " + String.join(", ", ctes);
    String differsSql = String.join(" OR ", differs);
    if (ctx.merge()) {
      String merge =
          "MERGE INTO "
              + ctx.target()
              + " AS __pgt_st USING __pgt_apply AS d ON "
              + match
              + " WHEN MATCHED AND d.__pgt_w < 0 THEN DELETE"
              + " WHEN MATCHED AND ("
              + differsSql
              + ") THEN UPDATE SET "
              + String.join(", ", set)
              + " WHEN NOT MATCHED AND d.__pgt_w > 0 THEN INSERT ("
              + String.join(", ", insertCols)
              + ") VALUES ("
              + String.join(", ", insertVals)
              + ")";
      return ctx.returnsCounts() ? ApplyCounts.mergeReturning(with, merge) : with + " " + merge;
    }
    return with
        + ", __pgt_del AS (DELETE FROM "
        + ctx.target()
        + " AS __pgt_st USING __pgt_apply AS d WHERE "
        + match
        + " AND d.__pgt_w < 0 RETURNING 1)"
        + ", __pgt_upd AS (UPDATE "
        + ctx.target()
        + " AS __pgt_st SET "
        + String.join(", ", set)
        + " FROM __pgt_apply AS d WHERE "
        + match
        + " AND d.__pgt_w > 0 AND ("
        + differsSql
        + ") RETURNING 1)"
        + ", __pgt_ins AS (INSERT INTO "
        + ctx.target()
        + " ("
        + String.join(", ", insertCols)
        + ") SELECT "
        + String.join(", ", insertVals)
        + " FROM __pgt_apply AS d WHERE d.__pgt_w > 0 AND NOT EXISTS (SELECT 1 FROM "
        + ctx.target()
        + " AS __pgt_st WHERE "
        + match
        + ") RETURNING 1)"
        + ApplyCounts.select("__pgt_ins", "__pgt_upd", "__pgt_del");
  }

  /**
   * Storage row {@code __pgt_st} is delta row {@code d}: the hash, then every identity column
   * exactly (NULLs equal); unhashed layouts: {@code =} on the unique identity columns.
   */
  static String match(StorageLayout layout) {
    List<String> conds = new ArrayList<>();
    if (layout.hashed()) {
      conds.add("__pgt_st." + StorageLayout.ROW_ID + " = d." + StorageLayout.ROW_ID);
    }
    for (int i = 0; i < layout.identity().size(); i++) {
      String col = layout.identity().get(i);
      if (typeOf(layout, col) == null) {
        throw new IllegalStateException("no identity column " + col);
      }
      conds.add(
          "__pgt_st."
              + Sql.ident(col)
              + (layout.hashed() ? " IS NOT DISTINCT FROM " : " = ")
              + "d."
              + Identity.column(i + 1));
    }
    return String.join(" AND ", conds);
  }

  static TypeRef typeOf(StorageLayout layout, String column) {
    for (StorageColumn c : layout.columns()) {
      if (c.name().equals(column)) {
        return c.type();
      }
    }
    return null;
  }

  private static String counted(ApplyContext ctx, List<String> ctes, List<String> cols) {
    StorageLayout layout = ctx.layout();
    List<String> dCols = cols.stream().map(c -> "d." + c).toList();
    List<String> same = new ArrayList<>();
    for (StorageColumn c : layout.visible()) {
      String ref = Sql.ident(c.name());
      same.add(Consolidation.same("__pgt_st." + ref, "d." + ref, c.type()));
    }
    String hash = Consolidation.hash(dCols);
    ctes.add(
        "__pgt_del AS (DELETE FROM "
            + ctx.target()
            + " WHERE ctid = ANY (ARRAY(SELECT x.ctid FROM __pgt_net AS d CROSS JOIN LATERAL"
            + " (SELECT __pgt_st.ctid FROM "
            + ctx.target()
            + " AS __pgt_st WHERE __pgt_st."
            + StorageLayout.ROW_ID
            + " = "
            + hash
            + " AND "
            + String.join(" AND ", same)
            + " LIMIT -d.__pgt_w) AS x WHERE d.__pgt_w < 0)) RETURNING 1)");
    return "WITH "
        + String.join(", ", ctes)
        + ", __pgt_ins AS (INSERT INTO "
        + ctx.target()
        + " ("
        + String.join(", ", cols)
        + ", "
        + StorageLayout.ROW_ID
        + ") SELECT "
        + String.join(", ", dCols)
        + ", "
        + hash
        + " FROM __pgt_net AS d CROSS JOIN LATERAL generate_series(1, d.__pgt_w) AS __pgt_copy"
        + " WHERE d.__pgt_w > 0 RETURNING 1)"
        + ApplyCounts.select("__pgt_ins", null, "__pgt_del");
  }
}
