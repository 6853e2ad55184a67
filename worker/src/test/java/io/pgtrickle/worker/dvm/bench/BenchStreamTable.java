package io.pgtrickle.worker.dvm.bench;

import io.pgtrickle.worker.dvm.Analysis;
import io.pgtrickle.worker.dvm.DeltaApplier;
import io.pgtrickle.worker.dvm.DifferentialEngine;
import io.pgtrickle.worker.dvm.DifferentialPlan;
import io.pgtrickle.worker.dvm.RefreshCostModel;
import io.pgtrickle.worker.dvm.SourceWindow;
import io.pgtrickle.worker.dvm.WindowStats;
import io.pgtrickle.worker.dvm.catalog.RelationInfo;
import io.pgtrickle.worker.dvm.sql.BoundStatement;
import io.pgtrickle.worker.refresh.ExclusiveRecompute;
import io.pgtrickle.worker.refresh.RowCounts;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A stream table refreshed the way the worker does, from a change buffer the ingest has already
 * filled (as pg_trickle's refresh reads buffers its capture triggers filled during the source DML):
 * one REPEATABLE READ transaction takes the snapshot, L, the window counts and the sources'
 * estimated rows (one round trip; AUTO decides from them), then applies the windows, or recomputes,
 * advances the frontier with a compare-and-set and commits in one more round trip (an exclusive
 * recompute: two more, the lock and the TRUNCATE). The refresh is timed from its first statement to
 * its commit.
 */
final class BenchStreamTable {

  final String name;
  final DifferentialPlan plan;
  final RefreshCostModel model = new RefreshCostModel();

  /** Time per phase of the last refresh (ms), for {@code -Dbench.phases=true}. */
  final java.util.Map<String, Double> phases = new java.util.LinkedHashMap<>();

  private long mark;

  /** AUTO's reason for the last refresh's choice. */
  String lastReason = "";

  private void lap(String phase) {
    long now = System.nanoTime();
    phases.put(phase, (now - mark) / 1e6);
    mark = now;
  }

  /** {@code -Dbench.explain=true}: the apply runs as EXPLAIN (ANALYZE, BUFFERS), printed. */
  private static final boolean EXPLAIN = Boolean.getBoolean("bench.explain");

  private final Map<Long, String> frontier = new HashMap<>();
  private final long srcOid;

  /** Rows stored by the last recompute (-1: none yet), for the worker's exclusive-or-not rule. */
  private long lastRecomputeRows = -1;

  private RowCounts lastCounts = RowCounts.NONE;

  BenchStreamTable(Connection c, String name, String query, long srcOid) throws SQLException {
    this.name = name;
    this.srcOid = srcOid;
    Analysis a = DifferentialEngine.analyze(c, query);
    if (!(a instanceof Analysis.Differential d)) {
      throw new IllegalStateException(query + ": " + ((Analysis.FullOnly) a).describe());
    }
    plan = d.plan();
    try (Statement s = c.createStatement()) {
      for (String ddl : plan.createStorage("bench", name)) {
        s.execute(ddl);
      }
      s.execute("INSERT INTO bench.frontiers VALUES ('" + name + "', '0/0')");
    }
    Result first = run(c, true, false);
    model.recordInitialFull(first.ms());
  }

  private void explain(Connection c, BoundStatement apply) throws SQLException {
    StringBuilder out = new StringBuilder("  EXPLAIN ANALYZE of " + name + "'s apply:\n");
    String statement = apply.sql();
    String[] parts = statement.split(";\n");
    if (plan.countsFromStatistics() && parts.length == 3) {
      // A MERGE between two reads of the table's transaction statistics: explain the MERGE.
      statement = parts[1];
    }
    try (PreparedStatement ps =
        c.prepareStatement("EXPLAIN (ANALYZE, BUFFERS, WAL) " + statement)) {
      for (int i = 0; i < apply.parameters().size(); i++) {
        ps.setObject(i + 1, apply.parameters().get(i));
      }
      try (java.sql.ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.append("    ").append(rs.getString(1)).append('\n');
        }
      }
    }
    System.out.print(out);
    lap("explain-apply");
  }

  /**
   * The outcome of one refresh.
   *
   * @param ms from the refresh's first statement to its commit
   * @param full whether it recomputed
   * @param changes the windows' change rows
   */
  record Result(double ms, boolean full, long changes) {}

  /**
   * Refreshes from the change buffer as it is (filled by the ingest before). Under AUTO the cost
   * model chooses from the window's change count and the source's estimated rows, both read by the
   * opening statement ({@link RefreshCostModel#decide(long, double)}), and learns the outcome.
   *
   * @param auto let the cost model choose; else always differential
   */
  Result refresh(Connection c, boolean auto) throws SQLException {
    Result r = run(c, false, auto);
    if (r.full()) {
      model.recordFull(r.ms());
    } else {
      model.recordDifferential(r.changes(), r.ms());
    }
    return r;
  }

  /**
   * One refresh transaction: the opening statement (BEGIN, snapshot, L, window counts, row
   * estimate), then the apply (or recompute), the frontier's compare-and-set and COMMIT in one
   * round trip. A recompute of a table whose last recompute stored {@link
   * DifferentialPlan#SMALL_RESULT} rows or more first tries the worker's exclusive lock (then
   * count, TRUNCATE and DROP INDEX in one round trip, and the refill with the index build in the
   * last), else it is DELETE + INSERT.
   */
  private Result run(Connection c, boolean forceFull, boolean auto) throws SQLException {
    long t0 = System.nanoTime();
    mark = t0;
    phases.clear();
    c.setAutoCommit(false);
    try {
      DeltaApplier.Opening open = DeltaApplier.open(c, plan, frontier, Map.of());
      String l = open.upper();
      lap("open");
      WindowStats stats = open.stats();
      long changes = stats.total();
      boolean full = forceFull || stats.recomputeRequired();
      if (!full && auto && changes > 0) {
        RefreshCostModel.Decision decision = model.decide(changes, open.sourceRows());
        lastReason = decision.reason();
        full = decision.full();
      }
      List<String> sql = new ArrayList<>();
      List<Object> params = new ArrayList<>();
      int insertIndex = -1;
      boolean applied = false;
      if (full) {
        String target = "bench." + name;
        List<String> refill = plan.refill("bench", name);
        if (DifferentialPlan.recomputesExclusively(lastRecomputeRows)
            && ExclusiveRecompute.lock(c, target)) {
          lap("lock");
          ExclusiveRecompute.truncate(c, target, refill.get(0));
          lap("truncate");
          insertIndex = sql.size();
          sql.addAll(refill.subList(1, refill.size()));
        } else {
          List<String> statements = plan.fullRefresh("bench", name);
          sql.addAll(statements);
          insertIndex = statements.size() - 1;
        }
      } else if (changes > 0) {
        List<SourceWindow> windows = new ArrayList<>();
        stats
            .changes()
            .forEach(
                (oid, n) -> {
                  if (n > 0) {
                    windows.add(new SourceWindow(oid, frontier.get(oid), l));
                  }
                });
        BoundStatement apply = plan.apply("bench", name, windows);
        if (EXPLAIN) {
          explain(c, apply);
        } else {
          sql.add(apply.sql());
          params.addAll(apply.parameters());
          applied = true;
        }
      }
      int casIndex = sql.size();
      sql.add("UPDATE bench.frontiers SET lsn = ?::pg_lsn WHERE name = ? AND lsn = ?::pg_lsn");
      params.addAll(List.of(l, name, frontier.getOrDefault(srcOid, "0/0")));
      // COMMIT in the same round trip: the server commits once every statement before it
      // succeeded (an error skips the rest, COMMIT included, and the catch rolls back).
      sql.add("COMMIT");
      int[] counts = new int[sql.size()];
      try (PreparedStatement ps = c.prepareStatement(String.join(";\n", sql))) {
        for (int i = 0; i < params.size(); i++) {
          ps.setObject(i + 1, params.get(i));
        }
        ps.execute();
        int index = 0;
        if (applied) {
          // The apply's counts, read as the worker reads them (one row, or the statistics
          // around a MERGE on 15 and 16), then the results of the statements after it.
          lastCounts = DeltaApplier.counts(ps, plan.countsFromStatistics());
          if (!lastCounts.known()) {
            throw new IllegalStateException("the apply of " + name + " was not counted");
          }
          ps.getMoreResults();
          index = 1;
        }
        do {
          if (index < counts.length) {
            counts[index] = ps.getUpdateCount();
          }
          index++;
        } while (ps.getMoreResults() || ps.getUpdateCount() != -1);
      }
      if (counts[casIndex] != 1) {
        throw new IllegalStateException(
            "frontier moved under " + name + " (" + counts[casIndex] + ")");
      }
      lap(full ? "full+frontier+commit" : "apply+frontier+commit");
      c.commit(); // the transaction is over: no round trip
      lap("driver-commit");
      if (full) {
        lastRecomputeRows = counts[insertIndex];
      }
      for (RelationInfo r : plan.sources()) {
        frontier.put(r.oid(), l);
      }
      return new Result((System.nanoTime() - t0) / 1e6, full, changes);
    } catch (SQLException | RuntimeException e) {
      c.rollback();
      throw e;
    } finally {
      c.setAutoCommit(true);
    }
  }
}
