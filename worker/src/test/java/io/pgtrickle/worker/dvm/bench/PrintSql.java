package io.pgtrickle.worker.dvm.bench;

import io.pgtrickle.worker.dvm.Analysis;
import io.pgtrickle.worker.dvm.DifferentialEngine;
import io.pgtrickle.worker.dvm.SourceWindow;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.List;

/** Scratch (not committed): sets up storage for the bench queries and prints their apply SQL. */
public final class PrintSql {
  public static void main(String[] args) throws Exception {
    try (Connection c = DriverManager.getConnection(args[0])) {
      for (var q : BenchQueries.queries().entrySet()) {
        var p = ((Analysis.Differential) DifferentialEngine.analyze(c, q.getValue())).plan();
        String t = "st_" + q.getKey();
        try (Statement s = c.createStatement()) {
          s.execute("DROP TABLE IF EXISTS bench." + t);
          for (String x : p.createStorage("bench", t)) s.execute(x);
          for (String x : p.fullRefresh("bench", t)) s.execute(x);
        }
        List<SourceWindow> w = List.of(new SourceWindow(p.sources().get(0).oid(), "LO", "HI"));
        String sql = p.apply("bench", t, w).sql();
        String[] parts = sql.split("\\?::pg_lsn", -1);
        StringBuilder out = new StringBuilder(parts[0]);
        for (int i = 1; i < parts.length; i++) out.append(i % 2 == 1 ? "'0/1'::pg_lsn" : "'FFFFFFFF/0'::pg_lsn").append(parts[i]);
        java.nio.file.Files.writeString(java.nio.file.Path.of("/tmp/dvmx/probe/" + q.getKey() + ".sql"), out.toString());
      }
    }
  }
}
