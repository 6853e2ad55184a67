package io.pgtrickle.worker.dvm;

import io.pgtrickle.worker.dvm.catalog.RelationInfo;
import io.pgtrickle.worker.dvm.sql.ApplyCounts;
import io.pgtrickle.worker.dvm.sql.Sql;
import io.pgtrickle.worker.dvm.sql.SqlFormatter;
import io.pgtrickle.worker.dvm.storage.StorageColumn;
import io.pgtrickle.worker.dvm.storage.StorageLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongFunction;

/**
 * The human-readable account of a plan ({@code explain_stream_table}): mode, storage columns,
 * full-recompute SQL and the delta SQL applied when every source changed. Also the content of the
 * golden files, so a reviewer reads the delta rules a query shape produces.
 */
final class Explain {

  private Explain() {}

  /** What the {@code ?} placeholders of an apply reading the change buffers stand for. */
  static final String BOUNDS = "lower, upper bound of each source's window";

  static String render(DifferentialPlan plan, String schema, String table) {
    return render(plan, schema, table, oid -> null, BOUNDS);
  }

  /**
   * As {@link #render(DifferentialPlan, String, String)}, with the relation holding each source's
   * window ({@code relation.apply(oid)}, null: the change buffer).
   *
   * @param placeholders what the apply's {@code ?} placeholders stand for, in order
   */
  static String render(
      DifferentialPlan plan,
      String schema,
      String table,
      LongFunction<String> relation,
      String placeholders) {
    StringBuilder sb = new StringBuilder();
    sb.append("-- mode: ").append(plan.layout().mode()).append('\n');
    sb.append("-- sources:");
    for (RelationInfo r : plan.sources()) {
      sb.append(' ').append(r.schema()).append('.').append(r.name());
      sb.append(
          r.keyed()
              ? " (key " + String.join(", ", r.primaryKey()) + ")"
              : " (no key: rows counted)");
    }
    sb.append('\n');
    sb.append("-- columns:\n");
    for (StorageColumn c : plan.layout().columns()) {
      sb.append("--   ").append(c.name()).append(' ').append(c.type().sqlName());
      if (c.hidden()) {
        sb.append("  (hidden: ").append(c.role()).append(')');
      }
      sb.append('\n');
    }
    sb.append("-- identity: ").append(String.join(", ", plan.layout().identity())).append("\n\n");
    sb.append("-- full refresh\n");
    for (String s : plan.fullRefresh(schema, table)) {
      sb.append(SqlFormatter.format(s)).append(";\n");
    }
    List<SourceWindow> all = new ArrayList<>();
    for (RelationInfo r : plan.sources()) {
      all.add(new SourceWindow(r.oid(), "$lower", "$upper", relation.apply(r.oid())));
    }
    boolean merge = plan.usesMerge() && plan.layout().mode() != StorageLayout.Mode.COUNTED;
    sb.append("\n-- apply a window of changes (")
        .append(merge ? "MERGE" : "data-modifying CTEs")
        .append("; ? = ")
        .append(placeholders)
        .append(")\n");
    String apply = plan.applyText(schema, table, all);
    if (plan.countsFromStatistics()) {
      // The MERGE between two reads of the table's transaction statistics (its counts).
      String read = ApplyCounts.statistics(Sql.qualified(schema, table));
      String statement = apply.substring(read.length() + 2, apply.length() - read.length() - 2);
      for (String s : List.of(read, statement, read)) {
        sb.append(SqlFormatter.format(s)).append(";\n");
      }
    } else {
      sb.append(SqlFormatter.format(apply)).append(";\n");
    }
    return sb.toString();
  }
}
