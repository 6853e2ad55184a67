package io.pgtrickle.worker.dvm.support;

import io.pgtrickle.worker.dvm.Analysis;
import io.pgtrickle.worker.dvm.DeltaApplier;
import io.pgtrickle.worker.dvm.DifferentialEngine;
import io.pgtrickle.worker.dvm.DifferentialPlan;
import io.pgtrickle.worker.dvm.SourceWindow;
import io.pgtrickle.worker.dvm.WindowStats;
import io.pgtrickle.worker.dvm.catalog.RelationInfo;
import io.pgtrickle.worker.refresh.RowCounts;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * A stream table maintained the way the worker's refresh will (CONTRACTS.md §4): each refresh is
 * one REPEATABLE READ transaction whose first statement takes the snapshot and L; each source's
 * window is {@code frontier <= lsn < L}; a window holding 'T' or 'G' makes the refresh FULL;
 * frontiers advance to L in the same transaction.
 */
public final class TestStreamTable {

  private final DifferentialPlan plan;
  private final String schema;
  private final String name;
  private final String query;
  private final Map<Long, String> frontier = new HashMap<>();
  private Function<SourceWindow, SourceWindow> windowMapper = w -> w;
  private RowCounts lastCounts;

  private TestStreamTable(DifferentialPlan plan, String schema, String name, String query) {
    this.plan = plan;
    this.schema = schema;
    this.name = name;
    this.query = query;
  }

  /** Analyzes, creates the storage table (dropping an old one) and fills it. */
  public static TestStreamTable create(Connection c, String schema, String name, String query)
      throws SQLException {
    Analysis a = DifferentialEngine.analyze(c, query);
    if (!(a instanceof Analysis.Differential d)) {
      throw new AssertionError(
          "not differentiable: " + ((Analysis.FullOnly) a).describe() + "\n" + query);
    }
    TestStreamTable st = new TestStreamTable(d.plan(), schema, name, query);
    try (Statement s = c.createStatement()) {
      s.execute("DROP TABLE IF EXISTS " + st.qualified());
      for (String ddl : d.plan().createStorage(schema, name)) {
        s.execute(ddl);
      }
    }
    st.full(c);
    return st;
  }

  public DifferentialPlan plan() {
    return plan;
  }

  public String schema() {
    return schema;
  }

  public String name() {
    return name;
  }

  /** The current frontier of {@code sourceOid}. */
  public String frontier(long sourceOid) {
    return frontier.get(sourceOid);
  }

  public String qualified() {
    return '"' + schema + "\".\"" + name + '"';
  }

  /** What the last differential refresh's apply counted (null before the first). */
  public RowCounts lastCounts() {
    return lastCounts;
  }

  /** Maps each window before it is applied (e.g. to a copy of the window in a temporary table). */
  public void windowMapper(Function<SourceWindow, SourceWindow> mapper) {
    this.windowMapper = mapper;
  }

  /** A full recompute in one transaction; frontiers move to its L. */
  public void full(Connection c) throws SQLException {
    inRefreshTransaction(
        c,
        l -> {
          DeltaApplier.full(c, plan, schema, name);
          return "FULL";
        });
  }

  /**
   * One refresh.
   *
   * @return "NO_DATA", "FULL" (a window had 'T' or 'G') or "DIFFERENTIAL"
   */
  public String refresh(Connection c) throws SQLException {
    return inRefreshTransaction(
        c,
        l -> {
          WindowStats stats = DeltaApplier.inspect(c, plan, frontier, l, Map.of());
          if (stats.recomputeRequired()) {
            DeltaApplier.full(c, plan, schema, name);
            return "FULL";
          }
          List<SourceWindow> windows = new ArrayList<>();
          stats
              .changes()
              .forEach(
                  (oid, n) -> {
                    if (n > 0) {
                      windows.add(windowMapper.apply(new SourceWindow(oid, frontier.get(oid), l)));
                    }
                  });
          if (windows.isEmpty()) {
            return "NO_DATA";
          }
          try {
            lastCounts = DeltaApplier.apply(c, plan, schema, name, windows);
          } catch (SQLException e) {
            throw new SQLException(
                e.getMessage() + "\nstatement: " + plan.apply(schema, name, windows).sql(),
                e.getSQLState(),
                e);
          }
          return "DIFFERENTIAL";
        });
  }

  /**
   * {@code EXPLAIN (options)} of the differential apply the next {@link #refresh} would run, in a
   * transaction rolled back (the storage and the frontiers stay as they are): one line per plan
   * line, or the JSON document for {@code FORMAT JSON}; null if no source changed.
   */
  public String explainRefresh(Connection c, String options) throws SQLException {
    boolean auto = c.getAutoCommit();
    c.setAutoCommit(false);
    try (Statement s = c.createStatement()) {
      s.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ");
      String l;
      try (ResultSet rs = s.executeQuery("SELECT pg_current_wal_insert_lsn()::text")) {
        rs.next();
        l = rs.getString(1);
      }
      WindowStats stats = DeltaApplier.inspect(c, plan, frontier, l, Map.of());
      List<SourceWindow> windows = new ArrayList<>();
      stats
          .changes()
          .forEach(
              (oid, n) -> {
                if (n > 0) {
                  windows.add(windowMapper.apply(new SourceWindow(oid, frontier.get(oid), l)));
                }
              });
      if (windows.isEmpty()) {
        return null;
      }
      io.pgtrickle.worker.dvm.sql.BoundStatement apply = plan.apply(schema, name, windows);
      StringBuilder out = new StringBuilder();
      try (java.sql.PreparedStatement ps =
          c.prepareStatement("EXPLAIN (" + options + ") " + applyStatement(apply.sql()))) {
        for (int i = 0; i < apply.parameters().size(); i++) {
          ps.setObject(i + 1, apply.parameters().get(i));
        }
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            out.append(rs.getString(1)).append('\n');
          }
        }
      }
      return out.toString();
    } finally {
      c.rollback();
      c.setAutoCommit(auto);
    }
  }

  /**
   * The data-modifying statement of an apply text that may be several (statistics reads around a
   * MERGE, see {@code DifferentialPlan#countsFromStatistics}): the longest one.
   */
  private static String applyStatement(String sql) {
    String longest = "";
    for (String part : sql.split(";")) {
      if (part.length() > longest.length()) {
        longest = part;
      }
    }
    return longest;
  }

  private interface Body {
    String run(String l) throws SQLException;
  }

  private String inRefreshTransaction(Connection c, Body body) throws SQLException {
    boolean auto = c.getAutoCommit();
    c.setAutoCommit(false);
    try (Statement s = c.createStatement()) {
      s.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ");
      String l;
      try (ResultSet rs = s.executeQuery("SELECT pg_current_wal_insert_lsn()::text")) {
        rs.next();
        l = rs.getString(1);
      }
      String action = body.run(l);
      c.commit();
      for (RelationInfo r : plan.sources()) {
        frontier.put(r.oid(), l);
      }
      return action;
    } catch (SQLException | RuntimeException e) {
      c.rollback();
      throw e;
    } finally {
      c.setAutoCommit(auto);
    }
  }

  /**
   * Asserts the storage's visible columns equal the defining query recomputed, as multisets of
   * their text forms (so 1.0 and 1.00 differ, as they would to a reader). Exception: a grouping key
   * whose type's equality is not identity (numeric 1.5 = 1.50) is compared by value, since
   * PostgreSQL's GROUP BY and DISTINCT show an arbitrary one of a group's representations.
   */
  public void assertMatchesQuery(Connection c) throws SQLException {
    List<String> parts = new ArrayList<>();
    for (var v : plan.layout().visible()) {
      String ref = "st." + io.pgtrickle.worker.dvm.sql.Sql.ident(v.name());
      boolean key =
          plan.layout().mode() == io.pgtrickle.worker.dvm.storage.StorageLayout.Mode.AGGREGATE
              && plan.layout().identity().contains(v.name());
      if (key && !v.type().exactEquality()) {
        ref =
            switch (v.type().family()) {
              case NUMERIC -> "trim_scale(" + ref + ")";
              case FLOAT -> "(" + ref + " + 0)";
              default -> ref;
            };
      }
      parts.add(ref);
    }
    String cols = String.join(", ", parts);
    String stored = "SELECT ROW(" + cols + ")::text AS r FROM " + qualified() + " AS st";
    String fresh = "SELECT ROW(" + cols + ")::text AS r FROM (" + query + ") AS st";
    String sql =
        "SELECT 'extra' AS side, r FROM (("
            + stored
            + ") EXCEPT ALL ("
            + fresh
            + ")) x"
            + " UNION ALL SELECT 'missing', r FROM (("
            + fresh
            + ") EXCEPT ALL ("
            + stored
            + ")) y ORDER BY 1, 2 LIMIT 20";
    List<String> diff = new ArrayList<>();
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      while (rs.next()) {
        diff.add(rs.getString(1) + " " + rs.getString(2));
      }
    }
    if (!diff.isEmpty()) {
      throw new AssertionError(
          "stream table differs from its query (" + query + "):\n  " + String.join("\n  ", diff));
    }
  }
}
