package io.pgtrickle.worker.refresh;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Scope;
import io.pgtrickle.changelog.Lsn;
import io.pgtrickle.worker.db.AsynchronousCommit;
import io.pgtrickle.worker.db.Claims;
import io.pgtrickle.worker.db.Database;
import io.pgtrickle.worker.runtime.WorkerMetrics;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs refreshes, one at a time, on two connections of its own ({@link RefreshConnections},
 * CONTRACTS.md §4), in four round trips when the ingest is there already and the window is small:
 *
 * <ol>
 *   <li>The opening round trip ({@link RefreshOpening}), the transaction's first statements: the
 *       sources locked ({@code LOCK TABLE ... IN ACCESS SHARE MODE}, by the set remembered for the
 *       stream table); the claim ({@link Claims}), the snapshot S and {@code L =
 *       pg_current_wal_insert_lsn()} (everything visible in S committed below L), asynchronous
 *       commit ({@link AsynchronousCommit}) and what S shows of each window; the catalog row,
 *       locked ({@code FOR NO KEY UPDATE}, so the front door's ALTER or DROP waits for the
 *       refresh); the sources.
 *   <li>On the second connection, one statement ({@link WindowReader#read}), repeated while it
 *       waits: once each captured source's slot confirmed L and its {@code ingested_lsn} reached L,
 *       the windows {@code frontier <= lsn < L}, whether every buffered change below L belongs to a
 *       transaction visible in S (if one does not, its commit was being made visible when S was
 *       taken: start over with a new snapshot; then the sources in S are exactly their state at L),
 *       and the rows S does not show, when few.
 *   <li>Decides ({@link RefreshDecision}) and runs the plan inside a savepoint as the stream
 *       table's owner ({@link PlanRunner}; an apply: one round trip). A failing plan is rolled back
 *       to the savepoint and the failure recorded, still under the claim.
 *   <li>Writes the frontier (compare-and-set), the catalog row and the history row, and commits,
 *       asynchronously, in one round trip ({@link RefreshRecords#completeAndCommit}).
 * </ol>
 */
public final class Refresher implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(Refresher.class);
  private static final int VISIBILITY_ATTEMPTS = 50;

  private final Database database;
  private final Plans plans;
  private final WorkerMetrics metrics;
  private final Duration waitTimeout;
  private final int maxErrors;
  private final RefreshConnections connections;
  private final RefreshOpening opening = new RefreshOpening();
  private final StorageRebuild rebuilds = new StorageRebuild();

  /**
   * Creates a refresher.
   *
   * @param database the connection factory
   * @param role the connections' role name, e.g. {@code refresh-1}
   * @param plans the plans
   * @param metrics the metrics
   * @param waitTimeout how long to wait for the CDC and the ingest
   * @param maxErrors consecutive errors that put a stream table in ERROR
   */
  public Refresher(
      Database database,
      String role,
      Plans plans,
      WorkerMetrics metrics,
      Duration waitTimeout,
      int maxErrors) {
    this.database = database;
    this.connections = new RefreshConnections(database, role);
    this.plans = plans;
    this.metrics = metrics;
    this.waitTimeout = waitTimeout;
    this.maxErrors = maxErrors;
  }

  /**
   * Refreshes a stream table if nobody else is.
   *
   * @param pgtId the stream table
   * @param manual whether {@code refresh_stream_table} asked for it (then also from ERROR)
   * @return how it ended
   */
  public RefreshOutcome refresh(long pgtId, boolean manual) {
    return refresh(pgtId, manual, null);
  }

  /**
   * Refreshes a stream table if nobody else is and nobody has since the scheduler found it due.
   *
   * @param pgtId the stream table
   * @param manual whether {@code refresh_stream_table} asked for it (then also from ERROR, and
   *     whatever {@code seen} says)
   * @param seen the {@code data_timestamp} the scheduler's round read ({@link Instant#EPOCH} for
   *     none), or null when unknown: a refresh that completed after that read (another worker's, or
   *     this one's, committed between the round's catalog read and its read of the claims) has made
   *     the table fresh, and it is not refreshed again ({@link StreamTable#refreshedSince})
   * @return how it ended
   */
  public RefreshOutcome refresh(long pgtId, boolean manual, Instant seen) {
    Span span = RefreshSpans.start(metrics.tracer(), pgtId, manual);
    try (Scope ignored = span.makeCurrent()) {
      RefreshOutcome outcome = refreshInSpan(pgtId, manual, seen);
      RefreshSpans.ended(span, outcome);
      return outcome;
    } catch (RuntimeException e) {
      span.recordException(e);
      span.setStatus(StatusCode.ERROR, String.valueOf(e.getMessage()));
      throw e;
    } finally {
      span.end();
    }
  }

  private RefreshOutcome refreshInSpan(long pgtId, boolean manual, Instant seen) {
    Instant start = Instant.now();
    long t0 = System.nanoTime();
    metrics.refreshStarted();
    try {
      connections.open();
      for (int attempt = 0; attempt < VISIBILITY_ATTEMPTS; attempt++) {
        RefreshOutcome o = attempt(pgtId, manual, seen, start, t0);
        if (o != null && o.kind() == RefreshOutcome.Kind.FAILED) {
          // The next attempt, after the fix (a privilege granted, a limit such as temp_file_limit
          // raised by ALTER DATABASE or ALTER ROLE, which only new sessions see), runs in a new
          // session with the database's settings as they are then.
          connections.close();
        }
        if (o != null) {
          return o;
        }
        Thread.sleep(Math.min(10, 1 + attempt));
      }
      return RefreshOutcome.of(
          RefreshOutcome.Kind.RETRY, null, "changes below L stayed invisible to new snapshots");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      connections.rollbackQuietly();
      return RefreshOutcome.of(RefreshOutcome.Kind.RETRY, null, "interrupted");
    } catch (SQLException | RuntimeException e) {
      Span.current().recordException(e);
      connections.rollbackQuietly();
      connections.closeIfBroken(e);
      metrics.refreshRetried(e instanceof SQLException s ? s.getSQLState() : null);
      return RefreshOutcome.of(RefreshOutcome.Kind.RETRY, null, RefreshErrors.describe(e));
    } finally {
      metrics.refreshEnded();
    }
  }

  /** One attempt; {@code null} means "a change below L is not visible yet: try again". */
  private RefreshOutcome attempt(long pgtId, boolean manual, Instant seen, Instant start, long t0)
      throws SQLException, InterruptedException {
    RefreshPhases phases = new RefreshPhases();
    Connection conn = connections.refresh();
    Connection probe = connections.probe();
    RefreshOpening.Opening o = opening.open(conn, probe, pgtId, plans.readsRows(pgtId));
    if (o == null) {
      return null; // a remembered source or name is gone: read them again
    }
    phases.lap("open");
    if (!o.claimed()) {
      conn.rollback();
      return RefreshOutcome.of(RefreshOutcome.Kind.SKIPPED, null, "claimed by another worker");
    }
    StreamTable st = o.streamTable();
    if (st == null || "SUSPENDED".equals(st.status()) || ("ERROR".equals(st.status()) && !manual)) {
      conn.rollback();
      return RefreshOutcome.of(
          RefreshOutcome.Kind.SKIPPED, null, st == null ? "dropped" : "status " + st.status());
    }
    if (!manual && seen != null && st.refreshedSince(seen)) {
      conn.rollback();
      return RefreshOutcome.of(
          RefreshOutcome.Kind.SKIPPED, null, "refreshed since the scheduler found it due");
    }
    String initiatedBy = !st.populated() ? "INITIAL" : manual ? "MANUAL" : "SCHEDULER";
    RefreshSpans.named(st, initiatedBy);
    try {
      return claimed(conn, probe, o, st, initiatedBy, phases, start, t0);
    } catch (RuntimeException e) {
      if (!RefreshErrors.engineFault(e)) {
        throw e;
      }
      return EngineFaults.record(
          conn, st, initiatedBy, start, database.workerId(), maxErrors, metrics, t0, e);
    }
  }

  /** The rest of an attempt, with the stream table claimed and due. */
  private RefreshOutcome claimed(
      Connection conn,
      Connection probe,
      RefreshOpening.Opening o,
      StreamTable st,
      String initiatedBy,
      RefreshPhases phases,
      Instant start,
      long t0)
      throws SQLException, InterruptedException {
    RefreshCatalog.Sources sources = o.sources();
    Lsn l = o.l();
    Frontier before = Frontier.parse(st.frontier());
    Set<Long> schemaChanged = SourceChanges.schema(sources, before);
    if (!schemaChanged.isEmpty() && rebuilds.due(st.pgtId(), sources.fingerprints())) {
      return rebuilds.beforeRefresh(
          conn,
          st,
          sources,
          schemaChanged,
          new StorageRebuild.Attempt(
              initiatedBy, start, database.workerId(), maxErrors, metrics, t0));
    }
    Set<Long> upstreamChanged = SourceChanges.upstream(sources, before);
    MaintenancePlan plan = plans.get(conn, st, !schemaChanged.isEmpty());
    plan.restoreCostModel(st.costModel()); // AUTO decides from every worker's measurements
    phases.lap("plan");
    WindowReader reader = new WindowReader(probe);
    List<WindowReader.Ask> asks =
        RefreshWindows.asks(
            sources,
            before,
            l,
            o.visible(),
            plan.needsWindowRows() ? WindowRelations.INLINE_MAX : 0);
    long waitStart = System.nanoTime();
    Map<Long, WindowReader.Found> found =
        reader.read(sources.captured(), l, o.snapshot(), asks, waitTimeout);
    metrics.ingestWait(
        Duration.ofNanos(System.nanoTime() - waitStart - reader.lastReadNanos()),
        reader.lastCdcWaitNanos());
    if (found == null) {
      conn.rollback();
      metrics.waitGaveUp();
      return RefreshOutcome.of(
          RefreshOutcome.Kind.WAITING,
          null,
          "the CDC or the ingest did not reach " + l + " within " + waitTimeout.toMillis() + " ms");
    }
    phases.lapBefore("ingest_wait", reader.lastReadNanos());
    phases.lap("windows");
    RefreshWindows.Read read = RefreshWindows.of(sources, before, l, o.visible(), found);
    if (read == null) {
      conn.rollback();
      return null; // a commit below L not visible in S yet: new snapshot
    }
    Map<Long, SourceWindow> windows = read.windows();
    boolean first = !st.populated() || st.frontier() == null;
    RefreshDecision decision =
        RefreshDecision.decide(
            first,
            st.needsReinit(),
            plan,
            windows,
            schemaChanged,
            upstreamChanged,
            sources.names()::get);
    decision = rebuilds.noted(st.pgtId(), decision);
    long delta = windows.values().stream().mapToLong(SourceWindow::changes).sum();
    RefreshSpans.decided(st, decision, delta);
    if (RefreshDecision.recomputedForKeyOnly(decision, windows)) {
      // A misconfigured source (not a failure): every such refresh recomputes, so say why.
      LOG.warn("{}: {}", st.displayName(), decision.reason());
    }
    Frontier after = NextFrontier.of(windows, sources, decision, before, l, sources.fingerprints());
    phases.lap("decide");
    RefreshRecords.Done attempt =
        new RefreshRecords.Done(
            decision.action(),
            RowCounts.NONE,
            delta,
            initiatedBy,
            decision.reason(),
            st.frontier() == null ? null : before,
            after,
            start,
            database.workerId());
    PlanRunner.Input in =
        new PlanRunner.Input(
            conn,
            probe,
            reader,
            o.snapshot(),
            l,
            windows,
            read.rows(),
            sources.views(),
            schemaChanged,
            upstreamChanged);
    RowCounts counts;
    try {
      counts = PlanRunner.run(in, st, plan, decision, phases);
    } catch (SQLException failed) {
      SQLException e = failed;
      counts = null;
      if (decision.applies() && RefreshErrors.dataException(e)) {
        // A differential apply evaluates every image in the window, also the intermediate ones
        // the net change cancels (v set to 0, then back to 1): a data error there (division by
        // zero) would fail every later refresh of the same window, while the query over the
        // current data succeeds. Recompute instead, as AUTO may; if that fails too, it counts.
        PlanRunner.rollback(conn, e);
        decision = RefreshDecision.recomputeAfter(decision, e);
        after = NextFrontier.of(windows, sources, decision, before, l, sources.fingerprints());
        attempt = attempt.as(decision, after);
        try {
          counts = PlanRunner.run(in, st, plan, decision, phases);
        } catch (SQLException full) {
          e = full;
        }
      }
      if (counts == null) {
        if (RefreshErrors.transientFailure(e)) {
          throw e;
        }
        Span.current().recordException(e);
        PlanRunner.rollback(conn, e);
        String message = RefreshErrors.message(e, schemaChanged, sources.names());
        boolean error =
            RefreshRecords.failed(
                conn, st, message, RefreshErrors.permanent(e), maxErrors, attempt);
        conn.commit();
        metrics.refresh(decision.action(), "failed", Duration.ofNanos(System.nanoTime() - t0));
        LOG.warn(
            "refresh of {} failed{}: {}",
            st.displayName(),
            error ? " (stream table now in ERROR)" : "",
            message);
        return RefreshOutcome.of(RefreshOutcome.Kind.FAILED, decision.action(), message);
      }
    }
    RefreshSpans.rows(counts);
    long visibleMillis =
        RefreshRecords.completeAndCommit(
            conn,
            st,
            new RefreshRecords.Done(
                decision.action(),
                counts,
                delta,
                initiatedBy,
                decision.reason(),
                attempt.before(),
                after,
                start,
                database.workerId()),
            plan.costModel());
    phases.lap("records");
    metrics.refreshPhases(decision.action(), phases.nanos());
    metrics.refresh(decision.action(), "completed", Duration.ofNanos(System.nanoTime() - t0));
    if (!"NO_DATA".equals(decision.action())) {
      metrics.deltaRows(delta);
    }
    if (!read.commitTimes().isEmpty()) {
      metrics.freshness(
          st.displayName(),
          read.commitTimes().stream().mapToLong(ts -> visibleMillis - ts).toArray());
    }
    if (!"NO_DATA".equals(decision.action())) {
      LOG.debug(
          "refreshed {}: {} ({}), rows {}, {} changes; {}",
          st.displayName(),
          decision.action(),
          decision.reason(),
          counts.known()
              ? "+" + counts.inserted() + " ~" + counts.updated() + " -" + counts.deleted()
              : "not counted",
          delta,
          phases.describe());
    }
    return RefreshOutcome.of(RefreshOutcome.Kind.COMPLETED, decision.action(), decision.reason());
  }

  /** Cancels the statement in progress (draining ran out of time); the refresh rolls back. */
  public void cancel() {
    connections.cancel();
  }

  /**
   * The server backend of the refresh connection ({@link BackendWatch}).
   *
   * @return its pid and start, or {@code null} while there is no connection
   */
  BackendWatch.Backend backend() {
    return connections.backend();
  }

  /**
   * Aborts the refresh connection if it is still the one of {@code gone} ({@link
   * RefreshConnections#abort}).
   *
   * @param gone the backend the server no longer has
   */
  void abort(BackendWatch.Backend gone) {
    connections.abort(gone);
  }

  @Override
  public void close() {
    connections.close();
  }
}
