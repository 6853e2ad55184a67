package io.pgtrickle.worker.refresh;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * Chooses a stream table's {@link MaintenancePlan}: {@code requested_refresh_mode} FULL gives
 * {@link FullPlan}; AUTO and DIFFERENTIAL give the engine's differential plan when the query allows
 * it, else a {@link FullPlan} whose reason names what prevented it (AUTO records which mode ran and
 * why).
 *
 * <p>The runtime asks once per stream table and catalog version ({@code updated_at}), and again
 * when a source's columns changed; a planner may read the catalogs through {@code c} (inside the
 * refresh transaction) but must not write.
 */
public interface MaintenancePlanner {

  /**
   * Plans a stream table.
   *
   * @param c the refresh transaction's connection
   * @param streamTable the catalog row
   * @return the plan, never {@code null}
   * @throws SQLException if the catalogs cannot be read (fails the refresh)
   */
  MaintenancePlan plan(Connection c, StreamTable streamTable) throws SQLException;
}
