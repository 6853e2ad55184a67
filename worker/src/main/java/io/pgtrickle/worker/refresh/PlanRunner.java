package io.pgtrickle.worker.refresh;

import io.pgtrickle.changelog.Lsn;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * Runs a refresh's plan (step 4 of {@link Refresher}, inside its savepoint): copies the windows
 * into the window tables when the plan applies them, takes the stream table exclusively for a
 * recompute when nothing can tell ({@link ExclusiveRecompute}), switches to the owner's role and
 * search path, and runs {@link MaintenancePlan#prepareStorage}, then {@link MaintenancePlan#apply}
 * or {@link MaintenancePlan#recompute}.
 */
final class PlanRunner {

  private PlanRunner() {}

  /**
   * Runs the plan.
   *
   * @param conn the refresh transaction's connection
   * @param probe the refresher's auto-commit connection (catalog checks with a fresh snapshot)
   * @return rows inserted, updated and deleted ({@link RowCounts#NONE} for NO_DATA)
   * @throws SQLException if the plan fails (the caller rolls back to the savepoint)
   */
  static RowCounts run(
      Connection conn,
      Connection probe,
      StreamTable st,
      MaintenancePlan plan,
      RefreshDecision decision,
      WindowReader reader,
      String snapshot,
      Lsn l,
      Map<Long, SourceWindow> windows,
      Set<Long> schemaChanged,
      Set<Long> upstreamChanged,
      RefreshPhases phases)
      throws SQLException {
    if ("NO_DATA".equals(decision.action())) {
      return RowCounts.NONE;
    }
    // The windows are copied as the worker (the owner need not read pgtrickle_changes); the
    // owner may read the copies.
    Map<Long, String> windowTables = new HashMap<>();
    long copyStart = System.nanoTime();
    if (decision.applies() && plan.needsWindowRows()) {
      for (SourceWindow w : windows.values()) {
        if (w.changes() > 0) {
          windowTables.put(w.oid(), reader.materialize(conn, w.oid(), w.from(), l, st.relid()));
        }
      }
    }
    phases.lap("window_copy");
    // A recompute replaces the contents as REFRESH MATERIALIZED VIEW does when nothing can tell
    // (see ExclusiveRecompute): the conditions, the lock, the conditions again with a fresh
    // snapshot (a reader created meanwhile); a table that does not qualify is never locked.
    boolean exclusive =
        !decision.applies()
            && plan.exclusiveRecompute()
            && ExclusiveRecompute.allowed(probe, st.relid())
            && ExclusiveRecompute.lock(conn, ExclusiveRecompute.target(st))
            && ExclusiveRecompute.allowed(probe, st.relid());
    phases.lap("exclusive_lock");
    // As the stream table's owner, like REFRESH MATERIALIZED VIEW: a revoked privilege on a
    // source stops the refresh instead of being bypassed by the worker's role.
    RefreshCatalog.setRoleToOwner(conn, st.relid(), st.searchPath());
    RefreshContext ctx =
        new RefreshContext(
            st,
            l,
            snapshot,
            windows,
            windowTables,
            schemaChanged,
            upstreamChanged,
            System.nanoTime() - copyStart,
            exclusive);
    phases.lap("role");
    if (decision.prepareStorage()) {
      plan.prepareStorage(conn, ctx);
      phases.lap("prepare_storage");
    }
    RowCounts counts = decision.applies() ? plan.apply(conn, ctx) : plan.recompute(conn, ctx);
    RefreshCatalog.resetRole(conn);
    phases.lap(decision.applies() ? "apply" : "recompute");
    return counts;
  }
}
