package io.pgtrickle.worker.dvm.random;

import io.pgtrickle.worker.dvm.support.ChangeCapture;
import io.pgtrickle.worker.dvm.support.TestStreamTable;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * Runs a {@link Scenario} on a real server: empties the variant's tables and change buffers, writes
 * the initial rows, creates the stream table (full recompute), then for each batch runs its
 * transactions (each change recorded by the capture triggers and stamped after its commit),
 * refreshes and checks the stream table against the query recomputed.
 */
public final class ScenarioRunner {

  private final Connection conn;
  private final java.util.Map<String, TestStreamTable> tables = new java.util.HashMap<>();
  private final java.util.Map<String, List<String>> buffersBySchema = new java.util.HashMap<>();

  public ScenarioRunner(Connection conn) {
    this.conn = conn;
  }

  /** Time spent per phase (ns), for the summary a property prints. */
  public final java.util.Map<String, Long> timings = new java.util.TreeMap<>();

  private long mark = System.nanoTime();

  private void lap(String phase) {
    long now = System.nanoTime();
    timings.merge(phase, now - mark, Long::sum);
    mark = now;
  }

  public void run(Scenario scenario) throws SQLException {
    try {
      runChecked(scenario);
    } catch (SQLException | RuntimeException e) {
      // jqwik reports only the message: keep where it came from.
      java.io.StringWriter trace = new java.io.StringWriter();
      e.printStackTrace(new java.io.PrintWriter(trace));
      throw new SQLException(
          trace.toString(), e instanceof SQLException q ? q.getSQLState() : null, e);
    }
  }

  private void runChecked(Scenario scenario) throws SQLException {
    mark = System.nanoTime();
    if (!conn.getAutoCommit()) {
      conn.rollback();
      conn.setAutoCommit(true);
    }
    String s = Schemas.schema(scenario.variant());
    List<String> buffers = buffersBySchema.get(s);
    if (buffers == null) {
      buffers = buffers(s);
      buffersBySchema.put(s, buffers);
    }
    // Small tables: DELETE is much cheaper than TRUNCATE; the changes it records are dropped.
    try (Statement st = conn.createStatement()) {
      st.execute(
          "DELETE FROM "
              + s
              + ".a; DELETE FROM "
              + s
              + ".b; DELETE FROM "
              + s
              + ".c; DELETE FROM "
              + s
              + ".d");
      for (String b : buffers) {
        st.execute("DELETE FROM " + b);
      }
    }
    lap("reset");
    transaction(scenario.initial(), s);
    ChangeCapture.stamp(conn, buffers);
    lap("writes");
    TestStreamTable table = tables.get(scenario.sql());
    if (table == null) {
      table = TestStreamTable.create(conn, s, "st" + tables.size(), scenario.sql());
      tables.put(scenario.sql(), table);
    } else {
      table.full(conn);
    }
    lap("create+full");
    table.assertMatchesQuery(conn);
    lap("compare");
    for (List<List<Op>> batch : scenario.batches()) {
      for (List<Op> tx : batch) {
        transaction(tx, s);
        ChangeCapture.stamp(conn, buffers);
      }
      lap("writes");
      table.refresh(conn);
      lap("refresh");
      table.assertMatchesQuery(conn);
      lap("compare");
    }
  }

  private List<String> buffers(String schema) throws SQLException {
    List<String> out = new java.util.ArrayList<>();
    try (Statement st = conn.createStatement();
        java.sql.ResultSet rs =
            st.executeQuery(
                "SELECT 'pgtrickle_changes.changes_' || c.oid FROM pg_class c JOIN pg_namespace n"
                    + " ON n.oid = c.relnamespace WHERE n.nspname = '"
                    + schema
                    + "' AND c.relkind = 'r'"
                    + " AND c.relname IN ('a', 'b', 'c', 'd')")) {
      while (rs.next()) {
        out.add(rs.getString(1));
      }
    }
    return out;
  }

  /** One transaction of writes, sent in one round trip. */
  private void transaction(List<Op> ops, String schema) throws SQLException {
    if (ops.isEmpty()) {
      return;
    }
    StringBuilder sql = new StringBuilder();
    for (Op op : ops) {
      sql.append(op.sql(schema)).append(";\n");
    }
    conn.setAutoCommit(false);
    try (Statement st = conn.createStatement()) {
      st.execute(sql.toString());
      conn.commit();
    } catch (SQLException e) {
      conn.rollback();
      throw new SQLException(sql + ": " + e.getMessage(), e.getSQLState(), e);
    } finally {
      conn.setAutoCommit(true);
    }
  }
}
