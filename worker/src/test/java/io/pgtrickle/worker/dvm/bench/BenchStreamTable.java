package io.pgtrickle.worker.dvm.bench;

import io.pgtrickle.worker.dvm.Analysis;
import io.pgtrickle.worker.dvm.DeltaApplier;
import io.pgtrickle.worker.dvm.DifferentialEngine;
import io.pgtrickle.worker.dvm.DifferentialPlan;
import io.pgtrickle.worker.dvm.RefreshCostModel;
import io.pgtrickle.worker.dvm.SourceWindow;
import io.pgtrickle.worker.dvm.WindowStats;
import io.pgtrickle.worker.dvm.catalog.RelationInfo;
import java.io.ByteArrayInputStream;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
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
 * takes L, counts the windows, applies them (or recomputes), advances the frontier with a
 * compare-and-set and deletes the consumed changes.
 */
final class BenchStreamTable {

  final String name;
  final DifferentialPlan plan;
  final RefreshCostModel model = new RefreshCostModel();
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
    refresh(c, null, true);
    model.recordFull((System.nanoTime() - t0) / 1e6);
  }

  /** The outcome of one refresh. */
  record Result(double ms, boolean full, long changes) {}

  /**
   * Loads {@code batch} (COPY text rows of the change buffer) and refreshes.
   *
   * @param auto let the cost model choose; else always differential
   */
  Result loadAndRefresh(Connection c, byte[] batch, boolean auto) throws Exception {
    long t0 = System.nanoTime();
    ((PGConnection) c)
        .getCopyAPI()
        .copyIn(
            "COPY " + buffer + " (lsn, seq, xid, action, new_row, old_row) FROM STDIN",
            new ByteArrayInputStream(batch));
    Result r = refresh(c, auto ? model : null, false);
    double ms = (System.nanoTime() - t0) / 1e6;
    if (r.full()) {
      model.recordFull(ms);
    } else {
      model.recordDifferential(r.changes(), ms);
    }
    return new Result(ms, r.full(), r.changes());
  }

  private Result refresh(Connection c, RefreshCostModel auto, boolean forceFull)
      throws SQLException {
    c.setAutoCommit(false);
    try (Statement s = c.createStatement()) {
      s.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ");
      String l;
      try (ResultSet rs = s.executeQuery("SELECT pg_current_wal_insert_lsn()::text")) {
        rs.next();
        l = rs.getString(1);
      }
      boolean full = forceFull;
      long changes = 0;
      if (!forceFull) {
        WindowStats stats = DeltaApplier.inspect(c, plan, frontier, l, Map.of());
        changes = stats.total();
        full = stats.recomputeRequired() || (auto != null && auto.decide(changes).full());
        if (!full && changes > 0) {
          List<SourceWindow> windows = new ArrayList<>();
          stats
              .changes()
              .forEach(
                  (oid, n) -> {
                    if (n > 0) {
                      windows.add(new SourceWindow(oid, frontier.get(oid), l));
                    }
                  });
          DeltaApplier.apply(c, plan, "bench", name, windows);
        }
      }
      if (full) {
        DeltaApplier.full(c, plan, "bench", name);
      }
      try (PreparedStatement cas =
          c.prepareStatement(
              "UPDATE bench.frontiers SET lsn = ?::pg_lsn WHERE name = ? AND lsn = ?::pg_lsn")) {
        cas.setString(1, l);
        cas.setString(2, name);
        cas.setString(3, frontier.getOrDefault(srcOid, "0/0"));
        if (cas.executeUpdate() != 1) {
          throw new IllegalStateException("frontier moved under " + name);
        }
      }
      try (PreparedStatement del =
          c.prepareStatement("DELETE FROM " + buffer + " WHERE lsn < ?::pg_lsn")) {
        del.setString(1, l);
        del.executeUpdate();
      }
      c.commit();
      for (RelationInfo r : plan.sources()) {
        frontier.put(r.oid(), l);
      }
      return new Result(0, full, changes);
    } catch (SQLException | RuntimeException e) {
      c.rollback();
      throw e;
    } finally {
      c.setAutoCommit(true);
    }
  }
}
