package io.pgtrickle.worker.refresh;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Map;

/**
 * How one stream table is kept equal to its query: the seam between the runtime (transactions,
 * snapshots, frontiers, history, scheduling, claims) and a maintenance engine (CONTRACTS.md §5).
 * The runtime ships {@link FullPlan}; the differential engine ({@code io.pgtrickle.worker.dvm})
 * provides plans whose {@link #mode} is {@code DIFFERENTIAL} through its {@link
 * MaintenancePlanner}.
 *
 * <p>Every method runs inside the runtime's refresh transaction on the connection given, after the
 * runtime has claimed the stream table, taken the snapshot, waited for the change buffers and
 * checked that every change of the windows is visible in the snapshot; the runtime then writes the
 * frontier (compare-and-set), the catalog row and the history row in the same transaction. A method
 * throws {@link SQLException} to fail the refresh: the transaction rolls back to before the plan
 * ran, and the failure is recorded. No method commits, rolls back, changes the isolation level or
 * the session's state beyond {@code SET LOCAL}.
 */
public interface MaintenancePlan {

  /**
   * What {@link #apply} does.
   *
   * @return {@code FULL} (apply is never called; every refresh with changes recomputes) or {@code
   *     DIFFERENTIAL}
   */
  String mode();

  /**
   * Why this plan: the stream table's {@code refresh_reason} and the history row's, e.g. {@code
   * "AUTO chose DIFFERENTIAL"}, {@code "AUTO chose FULL: window function row_number()"}.
   *
   * @return one line
   */
  String reason();

  /**
   * Whether {@link #apply} reads the windows' rows ({@link RefreshContext#windowRelations}).
   *
   * @return true to have the runtime bring them (small windows' rows travel with the statement that
   *     checks the windows, so the answer is asked before the windows are read)
   */
  boolean needsWindowRows();

  /**
   * Whether a refresh that would apply these windows should recompute instead (AUTO's choice for a
   * large fraction of the source, from measured costs), and why; asked only for a DIFFERENTIAL plan
   * whose windows are all applicable.
   *
   * @param windows per base source: its window
   * @return the reason to recompute, or {@code null} to apply
   */
  default String recomputeInstead(Map<Long, SourceWindow> windows) {
    return null;
  }

  /**
   * Whether a recompute should try to take the stream table exclusively ({@link
   * ExclusiveRecompute}: {@code TRUNCATE} and refill, as {@code REFRESH MATERIALIZED VIEW}). That
   * pays for a large table (no WAL record or dead tuple per old row, indexes built in one sort) and
   * costs more than {@code DELETE} + {@code INSERT} for a small one (the lock's round trips, new
   * files, catalog changes that make every cached plan of the table be planned again).
   *
   * @return false to recompute with {@code DELETE} + {@code INSERT}, readers never blocked
   */
  default boolean exclusiveRecompute() {
    return true;
  }

  /**
   * Loads AUTO's measurements as the catalog holds them ({@code pgt_stream_tables.cost_model}, the
   * last refresh's, by whichever worker), before {@link #recomputeInstead} is asked.
   *
   * @param json {@link #costModel()}'s output of an earlier refresh, or {@code null} if none
   */
  default void restoreCostModel(String json) {}

  /**
   * AUTO's measurements after this refresh, for the catalog, or {@code null} if the plan keeps none
   * (the row's value is then left as it is).
   *
   * @return JSON text, or {@code null}
   */
  default String costModel() {
    return null;
  }

  /**
   * Makes the storage table fit the plan (hidden {@code __pgt_*} columns, indexes), idempotently.
   * Called before {@link #recompute} on the first refresh, when the catalog says {@code
   * needs_reinit}, and when a source's columns changed (then after the runtime gave the storage's
   * user columns the types the query gives now: {@link StorageRetype}).
   *
   * @param c the refresh transaction's connection
   * @param ctx the refresh
   * @throws SQLException to fail the refresh
   */
  void prepareStorage(Connection c, RefreshContext ctx) throws SQLException;

  /**
   * Replaces the contents with the query evaluated in the snapshot (and fills hidden columns).
   * Readers must never be blocked: no TRUNCATE, no table rewrite.
   *
   * @param c the refresh transaction's connection
   * @param ctx the refresh
   * @return rows inserted and deleted
   * @throws SQLException to fail the refresh
   */
  RowCounts recompute(Connection c, RefreshContext ctx) throws SQLException;

  /**
   * The statement applying the windows: afterwards the contents equal the query in the snapshot,
   * given that before they equalled it at the previous frontier. Asked only when {@link #mode} is
   * DIFFERENTIAL, the storage is prepared, and every window is {@link SourceWindow#applicable}. The
   * plan builds it and the runtime runs it, in one round trip after its own statements (the
   * savepoint, the owner's role), and then reports its duration ({@link #applied}).
   *
   * @param ctx the refresh, with {@link RefreshContext#windowRelations} for the changed sources
   * @return the statement (one or several separated by {@code ;\n}), its parameters and how to read
   *     its counts
   */
  default PlanStatement apply(RefreshContext ctx) {
    throw new IllegalStateException(mode() + " plans recompute; they apply no windows");
  }

  /**
   * AUTO's measurement of an apply the runtime ran ({@link #apply}).
   *
   * @param changes the windows' change rows
   * @param nanos how long it took, with the copies of windows it needed
   */
  default void applied(long changes, long nanos) {}
}
