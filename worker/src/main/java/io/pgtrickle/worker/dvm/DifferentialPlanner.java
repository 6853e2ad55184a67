package io.pgtrickle.worker.dvm;

import io.pgtrickle.worker.refresh.FullPlan;
import io.pgtrickle.worker.refresh.MaintenancePlan;
import io.pgtrickle.worker.refresh.MaintenancePlanner;
import io.pgtrickle.worker.refresh.StreamTable;
import io.pgtrickle.worker.refresh.WindowRelations;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The differential engine's {@link MaintenancePlanner} (CONTRACTS.md §5): requested FULL, or a
 * query the front door found not differentiable, gives {@link FullPlan} with the reason; otherwise
 * the query is analyzed and maintained by a {@link DifferentialMaintenancePlan}, or, should the
 * engine find a construct the front door did not, refreshed FULL naming it. Each stream table's
 * AUTO cost model lives as long as this planner (one per worker) and survives re-planning.
 */
public final class DifferentialPlanner implements MaintenancePlanner {

  private final Map<Long, RefreshCostModel> models = new ConcurrentHashMap<>();

  @Override
  public MaintenancePlan plan(Connection c, StreamTable st) throws SQLException {
    MaintenancePlan plan = choose(c, st);
    String deltaSql =
        plan instanceof DifferentialMaintenancePlan d
            ? d.plan()
                .explainAsRun(
                    st.schema(),
                    st.name(),
                    oid -> WindowRelations.relation(oid, true, WindowRelations.Rest.INLINE),
                    WindowRelations.PLACEHOLDERS)
            : null;
    recordDeltaSql(c, st.pgtId(), deltaSql);
    return plan;
  }

  private MaintenancePlan choose(Connection c, StreamTable st) throws SQLException {
    String requested = st.requestedRefreshMode() == null ? "AUTO" : st.requestedRefreshMode();
    if ("FULL".equals(requested)) {
      return new FullPlan("refresh_mode FULL");
    }
    if ("FULL".equals(st.refreshMode())) {
      return new FullPlan(
          requested
              + " chose FULL"
              + (st.differentialBlocker() == null
                  ? ""
                  : ": the query uses " + st.differentialBlocker()));
    }
    Analysis a;
    try {
      a = DifferentialEngine.analyze(c, withoutSemicolon(st.definingQuery()), st.searchPath());
    } catch (SQLException e) {
      if (!doesNotFit(e)) {
        throw e; // a lost connection, a serialization failure...: the refresh is tried again
      }
      // The query no longer fits its sources (a dropped column...): the recompute fails with
      // PostgreSQL's own error inside the plan, where the runtime records it (ERROR for class 42).
      // A source's columns changing or the catalog row changing (resume, alter) plans again.
      return new FullPlan(requested + " chose FULL: the query does not resolve: " + e.getMessage());
    }
    if (a instanceof Analysis.FullOnly f) {
      return new FullPlan(
          requested + " chose FULL: the differential engine cannot maintain " + f.describe());
    }
    RefreshCostModel model = models.computeIfAbsent(st.pgtId(), id -> new RefreshCostModel());
    return new DifferentialMaintenancePlan(
        ((Analysis.Differential) a).plan(), model, "AUTO".equals(requested), requested);
  }

  /**
   * Stores the generated SQL in {@code pgt_stream_tables.delta_sql} (shown by {@code
   * pgtrickle.explain_stream_table}), in the refresh transaction, as the worker; null for a FULL
   * plan. Written only when it differs; {@code updated_at} is left alone (it is the catalog version
   * plans are cached by).
   */
  static void recordDeltaSql(Connection c, long pgtId, String deltaSql) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "UPDATE pgtrickle.pgt_stream_tables SET delta_sql = ? WHERE pgt_id = ?"
                + " AND delta_sql IS DISTINCT FROM ?")) {
      ps.setString(1, deltaSql);
      ps.setLong(2, pgtId);
      ps.setString(3, deltaSql);
      ps.executeUpdate();
    }
  }

  /** SQLSTATE class 42 (syntax, undefined or retyped objects, privileges) or 0A. */
  static boolean doesNotFit(SQLException e) {
    String state = e.getSQLState();
    return state != null && (state.startsWith("42") || state.startsWith("0A"));
  }

  /** The query without trailing semicolons (they would end the temporary view's statement). */
  static String withoutSemicolon(String query) {
    String q = query.strip();
    while (q.endsWith(";")) {
      q = q.substring(0, q.length() - 1).strip();
    }
    return q;
  }
}
