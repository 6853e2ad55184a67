package io.pgtrickle.worker.dvm.storage;

import io.pgtrickle.worker.dvm.catalog.ColumnInfo;
import io.pgtrickle.worker.dvm.catalog.TypeRef;
import io.pgtrickle.worker.dvm.parse.Unsupported;
import io.pgtrickle.worker.dvm.plan.AggCall;
import io.pgtrickle.worker.dvm.plan.Aggregation;
import io.pgtrickle.worker.dvm.plan.Block;
import io.pgtrickle.worker.dvm.plan.DefiningQuery;
import io.pgtrickle.worker.dvm.plan.Identity;
import io.pgtrickle.worker.dvm.plan.QueryNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * How a stream table stores its query's result: the visible columns (the query's, in order)
 * followed by hidden bookkeeping columns named {@code __pgt_*}:
 *
 * <ul>
 *   <li>{@code __pgt_row_id bigint}: a hash of the row's identity (type-aware, {@code
 *       hash_record_extended}), indexed; rows are matched on it plus an exact comparison of the
 *       identity columns, so a hash collision never merges two rows;
 *   <li>{@code __pgt_id_<n>}: identity values the visible columns do not show (a projected-away
 *       primary key, a UNION ALL branch number, a grouping key not selected);
 *   <li>aggregates: {@code __pgt_count} (rows in the group), {@code __pgt_agg_<n>}, {@code
 *       __pgt_nn_<n>}, {@code __pgt_sum_<n>}, {@code __pgt_scale_<n>} (see {@link AggState}).
 * </ul>
 *
 * @param mode how changes are applied
 * @param visible the query's columns
 * @param hidden the bookkeeping columns
 * @param identity storage columns holding the identity, in identity order (COUNTED: every visible
 *     column)
 * @param aggregates aggregate states (AGGREGATE mode), else empty
 * @param hashed rows are found through {@code __pgt_row_id} (some identity column may be NULL, or
 *     COUNTED); else the identity columns carry a unique index and are matched with {@code =}
 */
public record StorageLayout(
    Mode mode,
    List<StorageColumn> visible,
    List<StorageColumn> hidden,
    List<String> identity,
    List<AggState> aggregates,
    boolean hashed) {

  /** The hidden hash column every layout has. */
  public static final String ROW_ID = "__pgt_row_id";

  /** The hidden group size column of AGGREGATE layouts. */
  public static final String COUNT = "__pgt_count";

  /** How changes reach the storage. */
  public enum Mode {
    /** Rows have an identity: each delta row updates, inserts or deletes one row. */
    KEYED,
    /** No identity (a source without primary key): equal rows are counted copies. */
    COUNTED,
    /** A GROUP BY / aggregate / DISTINCT query: one row per group, with running states. */
    AGGREGATE
  }

  /** All columns, visible first. */
  public List<StorageColumn> columns() {
    List<StorageColumn> out = new ArrayList<>(visible);
    out.addAll(hidden);
    return out;
  }

  /** The layout for {@code query}. */
  public static StorageLayout of(DefiningQuery query) {
    QueryNode root = query.root();
    List<StorageColumn> visible = new ArrayList<>();
    for (ColumnInfo c : query.columns()) {
      if (c.name().startsWith("__pgt_")) {
        throw new Unsupported("output column named " + c.name() + " (reserved prefix __pgt_)");
      }
      visible.add(new StorageColumn(c.name(), c.type(), false, "query column"));
    }
    List<StorageColumn> hidden = new ArrayList<>();
    StorageColumn rowId = new StorageColumn(ROW_ID, BIGINT, true, "hash of the row identity");
    if (root instanceof Block b && b.aggregated()) {
      boolean hashed = b.aggregation().keys().isEmpty() || Identity.nonNull(b).contains(false);
      if (hashed) {
        hidden.add(rowId);
      }
      return aggregate(b, visible, hidden, hashed);
    }
    Optional<List<TypeRef>> ids = Identity.types(root);
    if (ids.isEmpty() || ids.get().stream().anyMatch(t -> !t.hashable())) {
      for (StorageColumn c : visible) {
        if (!c.type().hashable()) {
          throw new Unsupported(
              "column "
                  + c.name()
                  + " of type "
                  + c.type().sqlName()
                  + " (no hash support)"
                  + " in a query over a table without primary key");
        }
      }
      List<String> all = visible.stream().map(StorageColumn::name).toList();
      hidden.add(rowId);
      return new StorageLayout(Mode.COUNTED, visible, hidden, all, List.of(), true);
    }
    boolean hashed =
        ids.get().isEmpty()
            || Identity.nonNull(root).contains(false)
            || ids.get().stream().anyMatch(t -> !t.orderable());
    if (hashed) {
      hidden.add(rowId);
    }
    List<String> idExprs = root instanceof Block b ? Identity.exprs(b) : List.of();
    List<String> identity = new ArrayList<>();
    for (int i = 0; i < ids.get().size(); i++) {
      String reused = null;
      if (root instanceof Block b) {
        reused = visibleFor(b, idExprs.get(i), ids.get().get(i));
      }
      if (reused == null) {
        reused = "__pgt_id_" + (i + 1);
        hidden.add(new StorageColumn(reused, ids.get().get(i), true, "row identity"));
      }
      identity.add(reused);
    }
    return new StorageLayout(Mode.KEYED, visible, hidden, identity, List.of(), hashed);
  }

  private static StorageLayout aggregate(
      Block b, List<StorageColumn> visible, List<StorageColumn> hidden, boolean hashed) {
    Aggregation agg = b.aggregation();
    List<String> identity = new ArrayList<>();
    for (int i = 0; i < agg.keys().size(); i++) {
      Aggregation.GroupKey k = agg.keys().get(i);
      String reused = visibleFor(b, k.expr().sql(), k.type());
      if (reused == null) {
        reused = "__pgt_id_" + (i + 1);
        hidden.add(new StorageColumn(reused, k.type(), true, "grouping key"));
      }
      identity.add(reused);
    }
    hidden.add(new StorageColumn(COUNT, BIGINT, true, "rows in the group"));
    List<AggState> states = new ArrayList<>();
    for (int i = 0; i < agg.calls().size(); i++) {
      AggCall c = agg.calls().get(i);
      int n = i + 1;
      String value = visibleFor(b, c.call().sql(), c.resultType());
      if (value == null) {
        value = "__pgt_agg_" + n;
        hidden.add(new StorageColumn(value, c.resultType(), true, "value of " + c.call().sql()));
      }
      String nn = null;
      String sum = null;
      String scale = null;
      boolean algebraicSum =
          (c.kind() == AggCall.Kind.SUM || c.kind() == AggCall.Kind.AVG) && c.algebraic();
      if (algebraicSum) {
        nn = "__pgt_nn_" + n;
        hidden.add(new StorageColumn(nn, BIGINT, true, "non-NULL inputs of " + c.call().sql()));
        if (c.kind() == AggCall.Kind.AVG) {
          sum = "__pgt_sum_" + n;
          hidden.add(new StorageColumn(sum, NUMERIC, true, "running sum of " + c.call().sql()));
        }
        if (c.argType().numericWithoutScale()) {
          scale = "__pgt_scale_" + n;
          hidden.add(
              new StorageColumn(scale, INTEGER, true, "largest input scale of " + c.call().sql()));
        }
      }
      states.add(new AggState(c, n, value, nn, sum, scale));
    }
    return new StorageLayout(Mode.AGGREGATE, visible, hidden, identity, states, hashed);
  }

  /** The visible column whose expression is exactly {@code expr} (and of that type), or null. */
  private static String visibleFor(Block b, String expr, TypeRef type) {
    String canonical = io.pgtrickle.worker.dvm.parse.Expr.of(expr).canonical();
    for (Block.Output o : b.outputs()) {
      if (o.expr().canonical().equals(canonical)
          && o.type().oid() == type.oid()
          && o.type().typmod() == type.typmod()) {
        return o.name();
      }
    }
    return null;
  }

  static final TypeRef BIGINT =
      new TypeRef(
          TypeRef.INT8, -1, 0, "bigint", TypeRef.Family.INTEGER, true, true, true, null, false);
  static final TypeRef INTEGER = Identity.INT4;
  static final TypeRef NUMERIC =
      new TypeRef(
          TypeRef.NUMERIC_OID,
          -1,
          0,
          "numeric",
          TypeRef.Family.NUMERIC,
          false,
          true,
          true,
          null,
          false);
}
