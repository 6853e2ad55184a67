package io.pgtrickle.worker.refresh;

import java.sql.Connection;

/**
 * The runtime's planner: every stream table refreshes FULL. The reason says why for a table whose
 * {@code refresh_mode} (the front door's effective mode) is DIFFERENTIAL, so the catalog and the
 * history show which mode ran and why. The differential engine's planner takes its place (and falls
 * back to {@link FullPlan} itself).
 */
public final class FullPlanner implements MaintenancePlanner {

  @Override
  public MaintenancePlan plan(Connection c, StreamTable st) {
    String requested = st.requestedRefreshMode() == null ? "AUTO" : st.requestedRefreshMode();
    if ("FULL".equals(st.refreshMode())) {
      return new FullPlan(
          "FULL".equals(requested)
              ? "refresh_mode FULL"
              : requested
                  + " chose FULL"
                  + (st.differentialBlocker() == null
                      ? ""
                      : ": the query uses " + st.differentialBlocker()));
    }
    return new FullPlan(
        requested + " (" + st.refreshMode() + "): FULL, this worker has no differential engine");
  }
}
