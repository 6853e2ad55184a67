package io.pgtrickle.worker.refresh;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The plans of the stream tables, asked of the planner once per stream table and catalog version
 * (query, requested mode, {@code updated_at}), shared by the worker's refresh threads.
 */
public final class Plans {

  private record Entry(String key, MaintenancePlan plan) {}

  private final MaintenancePlanner planner;
  private final Map<Long, Entry> cache = new ConcurrentHashMap<>();

  /**
   * Creates the cache.
   *
   * @param planner the planner (the differential engine's, or {@link FullPlanner})
   */
  public Plans(MaintenancePlanner planner) {
    this.planner = planner;
  }

  /**
   * Whether the stream table's plan, as last planned, reads the windows' rows ({@link
   * MaintenancePlan#needsWindowRows}); true when not planned yet.
   *
   * @param pgtId the stream table
   * @return whether a refresh should prepare to read them
   */
  boolean readsRows(long pgtId) {
    Entry e = cache.get(pgtId);
    return e == null || e.plan().needsWindowRows();
  }

  /**
   * The plan of a stream table.
   *
   * @param c the refresh transaction's connection
   * @param st the catalog row
   * @param replan whether to ask the planner again (a source's columns changed)
   * @return the plan
   * @throws SQLException if planning fails
   */
  MaintenancePlan get(Connection c, StreamTable st, boolean replan) throws SQLException {
    String key =
        st.definingQuery() + "\u0000" + st.requestedRefreshMode() + "\u0000" + st.updatedAt();
    Entry e = cache.get(st.pgtId());
    if (e == null || replan || !e.key().equals(key)) {
      e = new Entry(key, planner.plan(c, st));
      cache.put(st.pgtId(), e);
    }
    return e.plan();
  }
}
