package io.pgtrickle.worker.it;

import io.pgtrickle.worker.refresh.MaintenancePlan;
import io.pgtrickle.worker.refresh.MaintenancePlanner;
import io.pgtrickle.worker.refresh.PlanStatement;
import io.pgtrickle.worker.refresh.RefreshContext;
import io.pgtrickle.worker.refresh.RowCounts;
import io.pgtrickle.worker.refresh.SourceWindow;
import io.pgtrickle.worker.refresh.StreamTable;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A planner whose plans are another planner's, except that while {@link #broken} is set their
 * differential apply leaves its last parameter unbound: PgJDBC then refuses the statement itself,
 * before sending anything ("No value specified for parameter N.", SQLSTATE 22023), as it did for
 * the jsonb {@code ?} operators before they were escaped. Recomputes are left alone.
 */
final class UnboundParameterPlanner implements MaintenancePlanner {

  /** Whether applies lose their last parameter. */
  final AtomicBoolean broken = new AtomicBoolean();

  private final MaintenancePlanner planner;

  UnboundParameterPlanner(MaintenancePlanner planner) {
    this.planner = planner;
  }

  @Override
  public MaintenancePlan plan(Connection c, StreamTable streamTable) throws SQLException {
    MaintenancePlan plan = planner.plan(c, streamTable);
    return new MaintenancePlan() {
      @Override
      public String mode() {
        return plan.mode();
      }

      @Override
      public String reason() {
        return plan.reason();
      }

      @Override
      public boolean needsWindowRows() {
        return plan.needsWindowRows();
      }

      @Override
      public String recomputeInstead(Map<Long, SourceWindow> windows) {
        return plan.recomputeInstead(windows);
      }

      @Override
      public boolean exclusiveRecompute() {
        return plan.exclusiveRecompute();
      }

      @Override
      public void restoreCostModel(String json) {
        plan.restoreCostModel(json);
      }

      @Override
      public String costModel() {
        return plan.costModel();
      }

      @Override
      public void prepareStorage(Connection conn, RefreshContext ctx) throws SQLException {
        plan.prepareStorage(conn, ctx);
      }

      @Override
      public RowCounts recompute(Connection conn, RefreshContext ctx) throws SQLException {
        return plan.recompute(conn, ctx);
      }

      @Override
      public PlanStatement apply(RefreshContext ctx) {
        PlanStatement s = plan.apply(ctx);
        if (!broken.get()) {
          return s;
        }
        List<Object> p = s.parameters();
        if (p.isEmpty()) {
          throw new IllegalStateException("the apply binds no parameter to leave out: " + s.sql());
        }
        return new PlanStatement(s.sql(), s.results(), p.subList(0, p.size() - 1), s.counts());
      }

      @Override
      public void applied(long changes, long nanos) {
        plan.applied(changes, nanos);
      }
    };
  }
}
