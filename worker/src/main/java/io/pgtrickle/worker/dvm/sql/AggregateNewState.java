package io.pgtrickle.worker.dvm.sql;

import io.pgtrickle.worker.dvm.catalog.TypeRef;
import io.pgtrickle.worker.dvm.plan.AggCall;
import io.pgtrickle.worker.dvm.plan.Aggregation;
import io.pgtrickle.worker.dvm.plan.Block;
import io.pgtrickle.worker.dvm.storage.AggState;
import io.pgtrickle.worker.dvm.storage.StorageLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code __pgt_new} step of {@link AggregateApplySql}: each affected group's new state from its
 * stored state ({@code __pgt_old}) and its delta, or recomputed from the sources when addition
 * cannot give the answer (the rescan, gated so that it runs only for those groups), and whether the
 * group stays ({@code __pgt_keep}: it has rows and passes HAVING).
 */
final class AggregateNewState {

  private final Block block;
  private final Aggregation agg;
  private final StorageLayout layout;
  private final DeltaBuilder delta;

  AggregateNewState(Block block, StorageLayout layout, DeltaBuilder delta) {
    this.block = block;
    this.agg = block.aggregation();
    this.layout = layout;
    this.delta = delta;
  }

  /** The body of {@code __pgt_new}. */
  String sql() {
    return newState();
  }

  /** When the group must be recomputed from the sources (see the class comment). */
  private String rescanCondition() {
    List<String> conds = new ArrayList<>();
    if (agg.having() != null) {
      conds.add("NOT __pgt_o.__pgt_found");
    }
    for (AggState s : layout.aggregates()) {
      AggCall c = s.call();
      int n = s.index();
      switch (c.kind()) {
        case MIN ->
            conds.add(
                "(__pgt_o.__pgt_dd"
                    + n
                    + " IS NOT NULL AND NOT coalesce(__pgt_o.__pgt_dd"
                    + n
                    + " > __pgt_o.__pgt_ov"
                    + n
                    + ", false))");
        case MAX ->
            conds.add(
                "(__pgt_o.__pgt_dd"
                    + n
                    + " IS NOT NULL AND NOT coalesce(__pgt_o.__pgt_dd"
                    + n
                    + " < __pgt_o.__pgt_ov"
                    + n
                    + ", false))");
        case SUM, AVG -> {
          if (!c.algebraic()) {
            conds.add("__pgt_o.__pgt_dt" + n);
          } else if (c.argType().family() == TypeRef.Family.NUMERIC) {
            String stored = s.sum() != null ? "__pgt_o.__pgt_os" + n : "__pgt_o.__pgt_ov" + n;
            conds.add("__pgt_o.__pgt_dx" + n);
            conds.add("coalesce(" + stored + " IN ('NaN', 'Infinity', '-Infinity'), false)");
            if (s.scale() != null) {
              conds.add(
                  "(__pgt_o.__pgt_dsd"
                      + n
                      + " IS NOT NULL AND NOT coalesce(__pgt_o.__pgt_dsd"
                      + n
                      + " < __pgt_o.__pgt_osc"
                      + n
                      + ", false))");
            }
          }
        }
        default -> {}
      }
    }
    return conds.isEmpty() ? "FALSE" : String.join(" OR ", conds);
  }

  private String newState() {
    String rescan = rescanCondition();
    boolean canRescan = !rescan.equals("FALSE");
    List<String> state = new ArrayList<>(List.of("__pgt_o.*"));
    state.add(
        canRescan
            ? "CASE WHEN __pgt_o.__pgt_rescan THEN r.__pgt_rc ELSE coalesce(__pgt_o.__pgt_oc, 0) + __pgt_o.__pgt_dc END AS __pgt_nc"
            : "coalesce(__pgt_o.__pgt_oc, 0) + __pgt_o.__pgt_dc AS __pgt_nc");
    List<String> rescanSelect = new ArrayList<>(List.of("count(*) AS __pgt_rc"));
    for (AggState s : layout.aggregates()) {
      AggCall c = s.call();
      int n = s.index();
      rescanSelect.add(c.call().sql() + " AS __pgt_rv" + n);
      String filter = c.filter() == null ? "" : " FILTER (WHERE " + c.filter().sql() + ")";
      if (s.nonNull() != null) {
        rescanSelect.add("count(" + c.arg().sql() + ")" + filter + " AS __pgt_rn" + n);
        state.add(
            pick(
                    canRescan,
                    "r.__pgt_rn" + n,
                    "coalesce(__pgt_o.__pgt_on" + n + ", 0) + __pgt_o.__pgt_dn" + n)
                + " AS __pgt_nn"
                + n);
      }
      if (s.sum() != null) {
        rescanSelect.add("(sum(" + c.arg().sql() + ")" + filter + ")::numeric AS __pgt_rs" + n);
        state.add(
            pick(
                    canRescan,
                    "r.__pgt_rs" + n,
                    "coalesce(__pgt_o.__pgt_os"
                        + n
                        + ", 0) + coalesce(__pgt_o.__pgt_ds"
                        + n
                        + ", 0)")
                + " AS __pgt_ns"
                + n);
      }
      if (s.scale() != null) {
        rescanSelect.add("max(scale(" + c.arg().sql() + "))" + filter + " AS __pgt_rsc" + n);
        state.add(
            pick(
                    canRescan,
                    "r.__pgt_rsc" + n,
                    "GREATEST(__pgt_o.__pgt_osc" + n + ", __pgt_o.__pgt_dsi" + n + ")")
                + " AS __pgt_nsc"
                + n);
      }
    }
    String states;
    if (canRescan) {
      List<String> keyMatch = new ArrayList<>();
      for (int j = 0; j < agg.keys().size(); j++) {
        keyMatch.add(
            "("
                + agg.keys().get(j).expr().sql()
                + ") IS NOT DISTINCT FROM __pgt_o.__pgt_g"
                + (j + 1));
      }
      List<String> where = new ArrayList<>(DeltaBuilder.where(block));
      where.addAll(keyMatch);
      where.add("__pgt_o.__pgt_rescan");
      states =
          "SELECT "
              + String.join(", ", state)
              + ", r.* FROM (SELECT __pgt_o.*, coalesce("
              + rescan
              + ", false) AS __pgt_rescan FROM __pgt_old AS __pgt_o) AS __pgt_o LEFT JOIN LATERAL (SELECT "
              + String.join(", ", rescanSelect)
              + " FROM "
              + delta.newItem(block.from())
              + " WHERE "
              + NewStateSql.conjunction(where)
              + ") AS r ON TRUE";
    } else {
      states =
          "SELECT "
              + String.join(", ", state)
              + " FROM (SELECT __pgt_old.*, FALSE AS __pgt_rescan FROM __pgt_old) AS __pgt_o";
    }
    List<String> values = new ArrayList<>(List.of("s.*"));
    for (AggState s : layout.aggregates()) {
      values.add(value(s, canRescan) + " AS __pgt_nv" + s.index());
    }
    String withValues = "SELECT " + String.join(", ", values) + " FROM (" + states + ") AS s";
    String keep;
    if (agg.having() != null) {
      String having =
          AggregateRewriter.rewrite(
              agg.having(), agg, i -> "v.__pgt_nv" + (i + 1), j -> "v.__pgt_g" + (j + 1));
      keep = (agg.scalar() ? "" : "v.__pgt_nc > 0 AND ") + "coalesce(" + having + ", false)";
    } else {
      keep = agg.scalar() ? "TRUE" : "v.__pgt_nc > 0";
    }
    return "SELECT v.*, " + keep + " AS __pgt_keep FROM (" + withValues + ") AS v";
  }

  private static String pick(boolean canRescan, String rescanned, String maintained) {
    return canRescan
        ? "CASE WHEN __pgt_o.__pgt_rescan THEN " + rescanned + " ELSE " + maintained + " END"
        : maintained;
  }

  /** The new value of one aggregate, in the scope of {@code s} (states) and rescan {@code r}. */
  private String value(AggState st, boolean canRescan) {
    AggCall c = st.call();
    int n = st.index();
    String maintained =
        switch (c.kind()) {
          case COUNT_STAR, COUNT -> "coalesce(s.__pgt_ov" + n + ", 0) + s.__pgt_dv" + n;
          case MIN -> "LEAST(s.__pgt_ov" + n + ", s.__pgt_di" + n + ")";
          case MAX -> "GREATEST(s.__pgt_ov" + n + ", s.__pgt_di" + n + ")";
          case SUM -> {
            if (!c.algebraic()) {
              yield "s.__pgt_ov" + n;
            }
            String sum =
                "coalesce(s.__pgt_ov" + n + ", 0)::numeric + coalesce(s.__pgt_ds" + n + ", 0)";
            if (st.scale() != null) {
              sum = "round(" + sum + ", s.__pgt_nsc" + n + ")";
            }
            yield "CASE WHEN s.__pgt_nn"
                + n
                + " = 0 THEN NULL ELSE ("
                + sum
                + ")::"
                + c.resultType().sqlName()
                + " END";
          }
          case AVG -> {
            if (!c.algebraic()) {
              yield "s.__pgt_ov" + n;
            }
            String sum = "s.__pgt_ns" + n;
            if (st.scale() != null) {
              sum = "round(" + sum + ", s.__pgt_nsc" + n + ")";
            }
            yield "CASE WHEN s.__pgt_nn"
                + n
                + " = 0 THEN NULL ELSE ("
                + sum
                + " / s.__pgt_nn"
                + n
                + "::numeric)::"
                + c.resultType().sqlName()
                + " END";
          }
        };
    return canRescan
        ? "CASE WHEN s.__pgt_rescan THEN s.__pgt_rv" + n + " ELSE " + maintained + " END"
        : maintained;
  }
}
