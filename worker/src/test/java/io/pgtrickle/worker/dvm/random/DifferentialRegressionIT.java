package io.pgtrickle.worker.dvm.random;

import io.pgtrickle.worker.dvm.support.PgServers;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Shrunk failures of {@link DifferentialPropertyIT}, kept as named cases: each one broke the engine
 * once; the comment says how.
 */
class DifferentialRegressionIT {

  private static Connection conn;
  private static ScenarioRunner runner;

  @BeforeAll
  static void start() throws SQLException {
    conn = PgServers.connect(PgServers.defaultMajor());
    Schemas.install(conn);
    runner = new ScenarioRunner(conn);
  }

  @AfterAll
  static void stop() throws SQLException {
    conn.close();
  }

  /** {@code initial} then batches; each batch a list of transactions of ';'-separated SQL. */
  static Scenario scenario(int variant, String query, String initial, String[]... batches) {
    List<Op> init = ops(initial);
    List<List<List<Op>>> bs = new ArrayList<>();
    for (String[] batch : batches) {
      List<List<Op>> txs = new ArrayList<>();
      for (String tx : batch) {
        txs.add(ops(tx));
      }
      bs.add(txs);
    }
    return new Scenario(variant, query, init, bs);
  }

  private static List<Op> ops(String sql) {
    List<Op> out = new ArrayList<>();
    for (String s : sql.split(";")) {
      if (!s.isBlank()) {
        out.add(new Op.Raw(s.trim()));
      }
    }
    return out;
  }

  /** A scalar aggregate in a subquery: its delta had no GROUP BY keys to recompute. */
  @Test
  void scalarAggregateSubquery() throws SQLException {
    runner.run(
        scenario(
            0,
            "SELECT q.n FROM (SELECT sum(a.v) AS n FROM {S}.a) q",
            "",
            new String[] {"INSERT INTO {S}.a VALUES (4, 1, 'x', 0, 1, -2)"},
            new String[] {"UPDATE {S}.a SET id = id + 20 WHERE id = 4"}));
  }
}
