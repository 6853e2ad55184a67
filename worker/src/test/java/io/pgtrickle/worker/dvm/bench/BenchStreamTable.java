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
import java.io.ByteArrayInputStream;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.postgresql.PGConnection;

/**
 * A stream table refreshed the way the worker will: the batch is loaded into the change buffer
 * (COPY of the recorded events, standing in for the ingest), then one REPEATABLE READ transaction
 * takes L, counts the windows, applies them (or recomputes) and advances the frontier with a
 * compare-and-set. The consumed changes are deleted afterwards, untimed (the worker's ingest prunes
 * buffers outside refreshes).
 */
final class BenchStreamTable {

  final String name;
  final DifferentialPlan plan;
  final RefreshCostModel model = new RefreshCostModel();

  /** Time per phase of the last refresh (ms), for {@code -Dbench.phases=true}. */
  final java.util.Map<String, Double> phases = new java.util.LinkedHashMap<>();

  private long mark;

  private void lap(String phase) {
    long now = System.nanoTime();
    phases.put(phase, (now - mark) / 1e6);
    mark = now;
  }

  /** {@code -Dbench.explain=true}: the apply runs as EXPLAIN (ANALYZE, BUFFERS), printed. */
  private static final boolean EXPLAIN = Boolean.getBoolean("bench.explain");

  private final Map<Long, String> frontier = new HashMap<>();
  private final String buffer;
  private final long srcOid;

  BenchStreamTable(Connection c, String name, String query, long srcOid) throws SQLException {
    this.name = name;
    this.srcOid = srcOid;
    Analysis a = DifferentialEngine.analyze(c, query);
    if (!(a instanceof Analysis.Differential d)) {
      throw new IllegalStateException(query + ": " + ((Analysis.FullOnly) a).describe());
    }
    plan = d.plan();
    buffer = "pgtrickle_changes.changes_" + srcOid;
    try (Statement s = c.createStatement()) {
      for (String ddl : plan.createStorage("bench", name)) {
        s.execute(ddl);
      }
      s.execute("INSERT INTO bench.frontiers VALUES ('" + name + "', '0/0')");
    }
    long t0 = System.nanoTime();
    refresh(c, true);
    model.recordInitialFull((System.nanoTime() - t0) / 1e6);
  }

  private void explain(Connection c, BoundStatement apply) throws SQLException {
    StringBuilder out = new StringBuilder("  EXPLAIN ANALYZE of " + name + "'s apply:\n");
    try (PreparedStatement ps = c.prepareStatement("EXPLAIN (ANALYZE, BUFFERS) " + apply.sql())) {
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
   * @param ms from the start of the load to the commit
   * @param loadMs the load (COPY into the change buffer) alone
   */
  record Result(double ms, boolean full, long changes, double loadMs) {}

  /**
   * Loads {@code batch} (COPY text rows of the change buffer) and refreshes. Under AUTO the choice
   * is made first, from the number of pending changes and the source's estimated rows ({@link
   * RefreshCostModel#decide(long, double)}): a recompute loads nothing (as the worker copies no
   * window for one), so its time is the estimate's statement and the recompute.
   *
   * @param auto let the cost model choose; else always differential
   */
  Result loadAndRefresh(Connection c, byte[] batch, boolean auto) throws Exception {
    long t0 = System.nanoTime();
    mark = t0;
    phases.clear();
    boolean full = false;
    if (auto) {
      long pending = 0;
      for (byte b : batch) {
        pending += b == '\n' ? 1 : 0;
      }
      full = model.decide(pending, rowEstimate(c)).full();
      lap("decide");
    }
    if (!full) {
      ((PGConnection) c)
          .getCopyAPI()
          .copyIn(
              "COPY " + buffer + " (lsn, seq, xid, action, new_row, old_row) FROM STDIN",
              new ByteArrayInputStream(batch));
      lap("load");
    }
    Result r = refresh(c, full);
    double ms = (System.nanoTime() - t0) / 1e6;
    // The consumed changes are deleted outside the timed refresh, as the worker's ingest prunes
    // the buffers on its own schedule, not in a refresh.
    try (Statement s = c.createStatement()) {
      s.execute("DELETE FROM " + buffer);
    }
    if (r.full()) {
      model.recordFull(ms);
    } else {
      model.recordDifferential(r.changes(), ms);
    }
    return new Result(ms, r.full(), r.changes(), phases.getOrDefault("load", 0.0));
  }

  /** The source's {@code reltuples} (one round trip, timed with the refresh). */
  private double rowEstimate(Connection c) throws SQLException {
    try (Statement s = c.createStatement();
        java.sql.ResultSet rs =
            s.executeQuery("SELECT reltuples::float8 FROM pg_class WHERE oid = " + srcOid)) {
      return rs.next() ? rs.getDouble(1) : -1;
    }
  }

  /**
   * One refresh transaction in three round trips: the opening statement (snapshot, L, window
   * counts), the apply with the frontier's compare-and-set (one batch), COMMIT; a recompute first
   * tries the worker's exclusive lock (then TRUNCATE and refill). The connection's transactions are
   * REPEATABLE READ.
   */
  private Result refresh(Connection c, boolean forceFull) throws SQLException {
    c.setAutoCommit(false);
    try {
      DeltaApplier.Opening open = DeltaApplier.open(c, plan, frontier, Map.of());
      String l = open.upper();
      lap("open");
      WindowStats stats = open.stats();
      long changes = stats.total();
      boolean full = forceFull || stats.recomputeRequired();
      List<String> sql = new ArrayList<>();
      List<Object> params = new ArrayList<>();
      if (full) {
        // As the worker's recompute: TRUNCATE and refill when the lock is granted at once (the
        // bench's stream tables have no readers, dependants, publications or triggers).
        String target = "bench." + name;
        if (ExclusiveRecompute.lock(c, target)) {
          ExclusiveRecompute.truncate(c, target);
          sql.addAll(plan.refill("bench", name));
        } else {
          sql.addAll(plan.fullRefresh("bench", name));
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
        }
      }
      sql.add("UPDATE bench.frontiers SET lsn = ?::pg_lsn WHERE name = ? AND lsn = ?::pg_lsn");
      params.addAll(List.of(l, name, frontier.getOrDefault(srcOid, "0/0")));
      try (PreparedStatement ps = c.prepareStatement(String.join(";\n", sql))) {
        for (int i = 0; i < params.size(); i++) {
          ps.setObject(i + 1, params.get(i));
        }
        ps.execute();
        // The compare-and-set's update count: the last statement.
        int casCount = -1;
        int index = 0;
        do {
          if (index == sql.size() - 1) {
            casCount = ps.getUpdateCount();
          }
          index++;
        } while (ps.getMoreResults() || ps.getUpdateCount() != -1);
        if (casCount != 1) {
          throw new IllegalStateException("frontier moved under " + name + " (" + casCount + ")");
        }
      }
      lap(full ? "full" : "apply+frontier");
      c.commit();
      lap("commit");
      for (RelationInfo r : plan.sources()) {
        frontier.put(r.oid(), l);
      }
      return new Result(0, full, changes, 0);
    } catch (SQLException | RuntimeException e) {
      c.rollback();
      throw e;
    } finally {
      c.setAutoCommit(true);
    }
  }
}
