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

  /**
   * Select-list entries without a name in UNION ALL branches: PostgreSQL names them {@code
   * ?column?} and prints the later branches' without {@code AS}; the engine stopped at "select-list
   * entry without a name" and the stream table was never refreshed.
   */
  @Test
  void unnamedConstantsInUnionAllBranches() throws SQLException {
    runner.run(
        scenario(
            0,
            "SELECT a.g, 1 FROM {S}.a UNION ALL SELECT a.g, 2 FROM {S}.a",
            "INSERT INTO {S}.a VALUES (1, 1, 'x', 0, 1, 0), (2, 2, 'y', 0, 2, 0)",
            new String[] {"INSERT INTO {S}.a VALUES (3, 1, 'z', 0, 1, 0)"},
            new String[] {"UPDATE {S}.a SET g = 'w' WHERE id = 1"},
            new String[] {"DELETE FROM {S}.a WHERE id = 2"}));
  }

  /** The same inside a subquery in FROM, under an aggregate, with two unnamed later entries. */
  @Test
  void unnamedEntriesInAUnionAllSubquery() throws SQLException {
    runner.run(
        scenario(
            0,
            "SELECT x.g, sum(x.cnt) FROM (SELECT a.g, count(*) AS cnt FROM {S}.a GROUP BY a.g"
                + " UNION ALL SELECT DISTINCT a.g, 1 FROM {S}.a) x GROUP BY x.g",
            "INSERT INTO {S}.a VALUES (1, 1, 'x', 0, 1, 0), (2, 2, 'x', 0, 2, 0)",
            new String[] {"INSERT INTO {S}.a VALUES (3, 1, 'z', 0, 1, 0)"},
            new String[] {"UPDATE {S}.a SET g = 'z' WHERE id = 1"},
            new String[] {"DELETE FROM {S}.a WHERE id = 3"}));
    runner.run(
        scenario(
            0,
            "SELECT a.g, a.v AS p, a.k AS q FROM {S}.a UNION ALL SELECT b.t, b.w + 1, 7 FROM {S}.b",
            "INSERT INTO {S}.a VALUES (1, 1, 'x', 0, 1, 0); INSERT INTO {S}.b VALUES (1, 1, 2, 't')",
            new String[] {"INSERT INTO {S}.b VALUES (2, 1, 5, 'u')"},
            new String[] {"UPDATE {S}.b SET w = 9 WHERE id = 1"},
            new String[] {"DELETE FROM {S}.b WHERE id = 2; DELETE FROM {S}.a WHERE id = 1"}));
  }
}
