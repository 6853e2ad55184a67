package io.pgtrickle.worker.dvm;

import io.pgtrickle.worker.dvm.sql.BoundStatement;
import io.pgtrickle.worker.dvm.sql.Sql;
import io.pgtrickle.worker.refresh.ExclusiveRecompute;
import io.pgtrickle.worker.refresh.MaintenancePlan;
import io.pgtrickle.worker.refresh.PlanStatement;
import io.pgtrickle.worker.refresh.RefreshContext;
import io.pgtrickle.worker.refresh.RowCounts;
import io.pgtrickle.worker.refresh.StreamTable;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A stream table maintained by the differential engine, inside the runtime's refresh transaction:
 * {@link #prepareStorage} adds the bookkeeping columns and the identity index, {@link #recompute}
 * fills every column (with TRUNCATE when the runtime holds the table exclusively, the plan's index
 * rebuilt after the fill), {@link #apply} builds the one apply statement over the windows the
 * runtime names (the change buffers for what the refresh's snapshot shows, the rest inline or
 * copied). Under AUTO, {@link #recomputeInstead} asks the cost model, with durations this plan
 * measured, whether the window is better recomputed.
 */
final class DifferentialMaintenancePlan implements MaintenancePlan {

  private final DifferentialPlan plan;
  private final RefreshCostModel model;
  private final boolean auto;
  private final String requested;

  DifferentialMaintenancePlan(
      DifferentialPlan plan, RefreshCostModel model, boolean auto, String requested) {
    this.plan = plan;
    this.model = model;
    this.auto = auto;
    this.requested = requested;
  }

  /** The differential plan (its SQL). */
  DifferentialPlan plan() {
    return plan;
  }

  @Override
  public String mode() {
    return "DIFFERENTIAL";
  }

  /** {@code AUTO chose DIFFERENTIAL} or {@code DIFFERENTIAL requested}: what chose the mode. */
  @Override
  public String reason() {
    return reason(requested);
  }

  static String reason(String requested) {
    return "DIFFERENTIAL".equals(requested)
        ? "DIFFERENTIAL requested"
        : requested + " chose DIFFERENTIAL";
  }

  @Override
  public boolean needsWindowRows() {
    return true;
  }

  @Override
  public String recomputeInstead(Map<Long, io.pgtrickle.worker.refresh.SourceWindow> windows) {
    if (!auto) {
      return null;
    }
    long changes = windows.values().stream().mapToLong(w -> w.changes()).sum();
    // Decided from the windows' counts, before anything is copied into the window tables.
    boolean sized = windows.values().stream().allMatch(w -> w.rowEstimate() >= 0);
    double rows = sized ? windows.values().stream().mapToDouble(w -> w.rowEstimate()).sum() : -1;
    RefreshCostModel.Decision d = model.decide(changes, rows);
    return d.full() ? "AUTO chose FULL: " + d.reason() : null;
  }

  /**
   * A recompute is exclusive ({@code TRUNCATE}, refill, index rebuilt) unless the last recompute
   * stored fewer than {@link DifferentialPlan#SMALL_RESULT} rows: then {@code DELETE} + {@code
   * INSERT} costs less (and never blocks readers).
   */
  @Override
  public boolean exclusiveRecompute() {
    return DifferentialPlan.recomputesExclusively(model.lastRecomputeRows());
  }

  @Override
  public void restoreCostModel(String json) {
    if (auto) {
      model.restore(json);
    }
  }

  @Override
  public String costModel() {
    return auto ? model.toJson() : null;
  }

  @Override
  public void prepareStorage(Connection c, RefreshContext ctx) throws SQLException {
    StreamTable st = ctx.streamTable();
    try (Statement s = c.createStatement()) {
      for (String sql :
          plan.ensureStorage(
              st.schema(), st.name(), plan.existingStorage(c, st.schema(), st.name()))) {
        s.execute(sql);
      }
    }
  }

  @Override
  public RowCounts recompute(Connection c, RefreshContext ctx) throws SQLException {
    StreamTable st = ctx.streamTable();
    long t0 = System.nanoTime();
    long deleted;
    long inserted;
    if (ctx.exclusive()) {
      List<String> refill = plan.refill(st.schema(), st.name());
      // Two round trips: count, TRUNCATE and DROP INDEX; then the INSERT (starting its round trip,
      // so that pg_stat_activity shows it) and the index build.
      deleted =
          ExclusiveRecompute.truncate(c, Sql.qualified(st.schema(), st.name()), refill.get(0));
      inserted = refill(c, refill.subList(1, refill.size()));
    } else {
      // DELETE and INSERT in one round trip.
      try (Statement s = c.createStatement()) {
        s.execute(String.join(";\n", plan.fullRefresh(st.schema(), st.name())));
        deleted = s.getLargeUpdateCount();
        s.getMoreResults();
        inserted = s.getLargeUpdateCount();
      }
    }
    double ms = (System.nanoTime() - t0) / 1e6;
    model.recordRecomputeRows(inserted);
    if (deleted == 0) {
      model.recordInitialFull(ms); // an empty table: cheaper than recomputing a populated one
    } else {
      model.recordFull(ms);
    }
    return new RowCounts(inserted, 0, deleted);
  }

  /**
   * Runs the INSERT and CREATE INDEX of {@link DifferentialPlan#refill} in one round trip; returns
   * the INSERT's count.
   */
  static long refill(Connection c, List<String> statements) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute(String.join(";\n", statements));
      long inserted = s.getUpdateCount();
      while (s.getMoreResults() || s.getUpdateCount() != -1) {
        // the index build
      }
      return inserted;
    }
  }

  /**
   * The privilege check and the apply statement, in one round trip. A delta reads the windows, not
   * always the sources: the owner's right to read them (and call the query's functions) is checked
   * as a recompute would, so a revoked privilege stops the refresh as it stops REFRESH MATERIALIZED
   * VIEW (permissions are checked on every relation of the plan's range table, also when the plan
   * is constant-false).
   */
  @Override
  public PlanStatement apply(RefreshContext ctx) {
    StreamTable st = ctx.streamTable();
    List<SourceWindow> windows = new ArrayList<>();
    for (io.pgtrickle.worker.refresh.SourceWindow w : ctx.windows().values()) {
      RefreshContext.WindowRelation relation = ctx.windowRelations().get(w.oid());
      if (w.changes() == 0 || relation == null) {
        continue;
      }
      windows.add(
          new SourceWindow(
              w.oid(),
              w.from().walText(),
              w.to().walText(),
              relation.sql(),
              relation.parameters()));
    }
    if (windows.isEmpty()) {
      // Nothing changed (the runtime applies only windows with changes): nothing to apply.
      return new PlanStatement(
          "SELECT 0::bigint, 0::bigint, 0::bigint",
          1,
          List.of(),
          s -> DeltaApplier.counts(s, false));
    }
    BoundStatement apply = plan.apply(st.schema(), st.name(), windows);
    boolean statistics = plan.countsFromStatistics();
    return new PlanStatement(
        io.pgtrickle.worker.dvm.sql.PreparedText.withoutPlaceholders(
                "SELECT FROM (" + plan.query().normalizedSql() + ") __pgt_check WHERE false")
            + ";\n"
            + apply.sql(),
        statistics ? 4 : 2,
        apply.parameters(),
        s -> {
          s.getMoreResults(); // past the check
          return DeltaApplier.counts(s, statistics);
        });
  }

  @Override
  public void applied(long changes, long nanos) {
    model.recordDifferential(changes, nanos / 1e6);
  }
}
