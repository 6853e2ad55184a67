package io.pgtrickle.worker.refresh;

import java.sql.Connection;

/**
 * The runtime's planner: every stream table refreshes FULL. The reason says so for AUTO and
 * DIFFERENTIAL requests, so the catalog and history show why FULL ran. The differential engine's
 * planner takes its place (and falls back to {@link FullPlan} itself).
 */
public final class FullPlanner implements MaintenancePlanner {

  @Override
  public MaintenancePlan plan(Connection c, StreamTable st) {
    String requested = st.requestedRefreshMode() == null ? "AUTO" : st.requestedRefreshMode();
    return new FullPlan(
        "FULL".equals(requested)
            ? "refresh_mode FULL"
            : requested + " chose FULL: this worker has no differential engine");
  }
}
