package io.pgtrickle.worker.dvm.rules;

import io.pgtrickle.worker.dvm.support.ChangeCapture;
import io.pgtrickle.worker.dvm.support.PgServers;
import io.pgtrickle.worker.dvm.support.TestStreamTable;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * A fresh schema {@code rules} on one major's server with change capture on the tables it creates;
 * {@link #write} runs one transaction and stamps its changes like the ingest.
 */
final class RuleFixture implements AutoCloseable {

  final Connection conn;

  RuleFixture(int major, String... ddl) throws SQLException {
    conn = PgServers.connect(major);
    ChangeCapture.install(conn);
    try (Statement s = conn.createStatement()) {
      s.execute("DROP SCHEMA IF EXISTS rules CASCADE");
      s.execute("CREATE SCHEMA rules");
      for (String d : ddl) {
        s.execute(d);
      }
    }
    try (Statement s = conn.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT format('%I.%I', schemaname, tablename) FROM pg_tables"
                    + " WHERE schemaname = 'rules'")) {
      List<String> tables = new ArrayList<>();
      while (rs.next()) {
        tables.add(rs.getString(1));
      }
      for (String t : tables) {
        ChangeCapture.track(conn, t);
      }
    }
  }

  /** Runs {@code statements} in one transaction, then stamps the changes. */
  void write(String... statements) throws SQLException {
    conn.setAutoCommit(false);
    try (Statement s = conn.createStatement()) {
      for (String sql : statements) {
        s.execute(sql);
      }
      conn.commit();
    } finally {
      conn.setAutoCommit(true);
    }
    ChangeCapture.stamp(conn, ChangeCapture.buffers(conn));
  }

  TestStreamTable streamTable(String name, String query) throws SQLException {
    return TestStreamTable.create(conn, "rules", name, query);
  }

  /** The rows of {@code sql}, each as its columns' text joined by "|" (NULL as "null"). */
  List<String> rows(String sql) throws SQLException {
    List<String> out = new ArrayList<>();
    try (Statement s = conn.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      int n = rs.getMetaData().getColumnCount();
      while (rs.next()) {
        List<String> cols = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
          cols.add(String.valueOf(rs.getString(i)));
        }
        out.add(String.join("|", cols));
      }
    }
    return out;
  }

  @Override
  public void close() throws SQLException {
    conn.close();
  }
}
