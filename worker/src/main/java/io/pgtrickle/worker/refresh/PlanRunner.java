package io.pgtrickle.worker.refresh;

import io.pgtrickle.changelog.Lsn;
import io.pgtrickle.worker.db.RoundTrip;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Runs a refresh's plan (step 4 of {@link Refresher}) inside the savepoint {@value #SAVEPOINT}, as
 * the stream table's owner (like {@code REFRESH MATERIALIZED VIEW}: a revoked privilege on a source
 * stops the refresh instead of being bypassed by the worker's role), with the stream table's {@code
 * search_path}.
 *
 * <p>An apply is one round trip: the savepoint, the window views it reads created when missing
 * ({@link WindowRelations#ensureView}), the role, and the plan's statement ({@link
 * MaintenancePlan#apply}); a window whose rest is too long to travel inline is copied into a
 * temporary table first ({@link WindowReader#copy}, two more round trips each). A recompute takes
 * one round trip for the savepoint and the role, tries to take the stream table exclusively when
 * nothing can tell ({@link ExclusiveRecompute}), and runs {@link MaintenancePlan#prepareStorage}
 * and {@link MaintenancePlan#recompute}. The role goes back to the worker's with the records
 * ({@link RefreshRecords#completeAndCommit}) or with a rollback to the savepoint.
 */
final class PlanRunner {

  /** The savepoint the plan runs in: a failure rolls back to it and is recorded. */
  static final String SAVEPOINT = "pgt_plan";

  private PlanRunner() {}

  /**
   * What a plan runs on.
   *
   * @param conn the refresh transaction's connection
   * @param probe the refresher's auto-commit connection (window copies, catalog checks with a fresh
   *     snapshot)
   * @param reader reads the change buffers on the probe
   * @param snapshot S
   * @param l L
   * @param windows per base source: its window
   * @param rows per changed base source: how an apply reads its rows
   * @param views the sources whose window view is ready in this session for the owner
   * @param schemaChanged base sources whose columns changed
   * @param upstreamChanged stream-table sources whose contents changed
   */
  record Input(
      Connection conn,
      Connection probe,
      WindowReader reader,
      String snapshot,
      Lsn l,
      Map<Long, SourceWindow> windows,
      Map<Long, RefreshWindows.Rows> rows,
      Set<Long> views,
      Set<Long> schemaChanged,
      Set<Long> upstreamChanged) {}

  /**
   * Runs the plan.
   *
   * @return rows inserted, updated and deleted ({@link RowCounts#NONE} for NO_DATA)
   * @throws SQLException if the plan fails (the caller rolls back to the savepoint)
   */
  static RowCounts run(
      Input in,
      StreamTable st,
      MaintenancePlan plan,
      RefreshDecision decision,
      RefreshPhases phases)
      throws SQLException {
    if ("NO_DATA".equals(decision.action())) {
      return RowCounts.NONE;
    }
    return decision.applies()
        ? apply(in, st, plan, phases)
        : recompute(in, st, plan, decision.prepareStorage(), phases);
  }

  private static RowCounts apply(
      Input in, StreamTable st, MaintenancePlan plan, RefreshPhases phases) throws SQLException {
    long start = System.nanoTime();
    // Everything the plan does is inside the savepoint (a failure is rolled back to it and
    // recorded), starting with the first round trip: a copy's, or the apply's.
    RoundTrip trip = new RoundTrip();
    Map<Long, RefreshContext.WindowRelation> relations = new HashMap<>();
    long changes = 0;
    boolean copied = false;
    List<String> views = new ArrayList<>();
    for (RefreshWindows.Rows r : in.rows().values()) {
      SourceWindow w = in.windows().get(r.oid());
      changes += w.changes();
      if (r.visible() && !in.views().contains(r.oid())) {
        views.add(WindowRelations.ensureView(r.oid(), st.relid()));
      }
      if (r.copied()) {
        // The window's rows are copied as the worker (the owner need not read the buffers).
        RoundTrip create = new RoundTrip();
        if (!copied) {
          create.add("SAVEPOINT " + SAVEPOINT);
        }
        create.add(WindowRelations.createTable(r.oid(), st.relid()));
        create.run(in.conn()).close();
        in.reader().copy(in.conn(), r.oid(), r.from(), in.l(), r.after(), r.afterSeq());
        copied = true;
      }
      relations.put(
          r.oid(),
          new RefreshContext.WindowRelation(
              WindowRelations.relation(
                  r.oid(),
                  r.visible(),
                  r.copied() ? WindowRelations.Rest.COPIED : WindowRelations.Rest.INLINE),
              r.copied() ? List.of() : List.of(r.inline())));
    }
    if (copied) {
      phases.lap("window_copy");
    }
    PlanStatement statement = plan.apply(context(in, st, relations, false));
    if (!copied) {
      trip.add("SAVEPOINT " + SAVEPOINT);
    }
    views.forEach(trip::add);
    trip.add(RefreshCatalog.OWNER_ROLE, st.pgtId());
    int first = trip.add(statement.sql(), statement.results(), statement.parameters());
    RowCounts counts;
    try (RoundTrip.Results r = send(trip, in.conn(), copied)) {
      counts = statement.counts().read(r.at(first));
    }
    plan.applied(changes, System.nanoTime() - start);
    phases.lap("apply");
    return counts;
  }

  private static RowCounts recompute(
      Input in, StreamTable st, MaintenancePlan plan, boolean prepare, RefreshPhases phases)
      throws SQLException {
    RoundTrip lead = new RoundTrip();
    lead.add("SAVEPOINT " + SAVEPOINT);
    lead.add(RefreshCatalog.OWNER_ROLE, st.pgtId());
    lead.run(in.conn()).close();
    phases.lap("role");
    // A recompute replaces the contents as REFRESH MATERIALIZED VIEW does when nothing can tell
    // (see ExclusiveRecompute): the conditions, the lock, the conditions again with a fresh
    // snapshot (a reader created meanwhile); a table that does not qualify is never locked.
    boolean exclusive =
        plan.exclusiveRecompute()
            && ExclusiveRecompute.allowed(in.probe(), st.relid())
            && ExclusiveRecompute.lock(in.conn(), ExclusiveRecompute.target(st))
            && ExclusiveRecompute.allowed(in.probe(), st.relid());
    phases.lap("exclusive_lock");
    RefreshContext ctx = context(in, st, Map.of(), exclusive);
    if (prepare) {
      plan.prepareStorage(in.conn(), ctx);
      phases.lap("prepare_storage");
    }
    RowCounts counts = plan.recompute(in.conn(), ctx);
    phases.lap("recompute");
    return counts;
  }

  /**
   * Runs the apply's round trip, which sets the savepoint first unless {@code savepointSet}. A
   * failure the driver raises before sending anything ({@link RefreshErrors#beforeSending}: PgJDBC
   * checks every parameter first, e.g. "No value specified for parameter 4.", SQLSTATE 22023)
   * leaves the transaction as it was, without that savepoint: it is set here, so the caller's
   * {@link #rollback} and a recompute after it work as after a server's failure. The original
   * failure is thrown, with the savepoint's own failure suppressed.
   *
   * @return the trip's results
   * @throws SQLException the trip's failure
   */
  private static RoundTrip.Results send(RoundTrip trip, Connection conn, boolean savepointSet)
      throws SQLException {
    try {
      return trip.run(conn);
    } catch (SQLException e) {
      if (!savepointSet && RefreshErrors.beforeSending(e)) {
        try (Statement s = conn.createStatement()) {
          s.execute("SAVEPOINT " + SAVEPOINT);
        } catch (SQLException setting) {
          e.addSuppressed(setting);
        }
      }
      throw e;
    }
  }

  /**
   * Rolls back to the savepoint after the plan failed with {@code cause}: whatever the plan did is
   * undone, the role is the worker's again. When the rollback fails too (a savepoint that does not
   * exist, 3B001; a lost connection), {@code cause} is thrown with that failure suppressed, so the
   * refresh reports what went wrong first.
   *
   * @param conn the refresh transaction's connection
   * @param cause the plan's failure
   * @throws SQLException {@code cause}, if the rollback fails
   */
  static void rollback(Connection conn, SQLException cause) throws SQLException {
    try (Statement s = conn.createStatement()) {
      s.execute("ROLLBACK TO SAVEPOINT " + SAVEPOINT);
    } catch (SQLException rollback) {
      cause.addSuppressed(rollback);
      throw cause;
    }
  }

  private static RefreshContext context(
      Input in,
      StreamTable st,
      Map<Long, RefreshContext.WindowRelation> relations,
      boolean exclusive) {
    return new RefreshContext(
        st,
        in.l(),
        in.snapshot(),
        in.windows(),
        relations,
        in.schemaChanged(),
        in.upstreamChanged(),
        exclusive);
  }
}
