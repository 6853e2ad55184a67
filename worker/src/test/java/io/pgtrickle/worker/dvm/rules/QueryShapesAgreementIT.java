package io.pgtrickle.worker.dvm.rules;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.worker.catalog.CatalogMigrations;
import io.pgtrickle.worker.dvm.Analysis;
import io.pgtrickle.worker.dvm.DifferentialEngine;
import io.pgtrickle.worker.dvm.support.PgServers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The engine's analyzer agrees with the front door's corpus ({@code query-shapes.tsv}, the verdicts
 * {@code create_stream_table} gives): a query the front door lets run DIFFERENTIAL is one the
 * engine maintains, and for every other query the engine names the same construct. A query the
 * front door refuses altogether (REFUSED) can never reach the engine; the engine only has to not
 * maintain it.
 */
class QueryShapesAgreementIT {

  @Test
  void everyVerdictOfTheCorpusIsTheEngines() throws Exception {
    int major = PgServers.defaultMajor();
    String url = PgServers.get(major).jdbcUrl();
    try (Connection admin = PgServers.connect(major);
        Statement s = admin.createStatement()) {
      s.execute("DROP DATABASE IF EXISTS dvm_shapes");
      s.execute("CREATE DATABASE dvm_shapes");
    }
    String db = url.replace("/postgres?", "/dvm_shapes?");
    CatalogMigrations.migrate(db, null, null);
    List<String> wrong = new ArrayList<>();
    try (Connection c = DriverManager.getConnection(db)) {
      try (Statement s = c.createStatement()) {
        s.execute(Files.readString(Path.of("src/test/resources/query-shapes-schema.sql")));
      }
      List<String> lines = Files.readAllLines(Path.of("src/test/resources/query-shapes.tsv"));
      for (int i = 0; i < lines.size(); i++) {
        String l = lines.get(i);
        if (l.isBlank() || l.startsWith("#") || l.equals("query\tverdict")) {
          continue;
        }
        String[] f = l.split("\t");
        String mine;
        try {
          Analysis a = DifferentialEngine.analyze(c, f[0]);
          mine = a instanceof Analysis.FullOnly o ? o.construct() : "DIFFERENTIAL";
        } catch (SQLException e) {
          mine = "REFUSED " + e.getSQLState();
        }
        boolean agrees =
            f[1].startsWith("REFUSED") ? !mine.equals("DIFFERENTIAL") : f[1].equals(mine);
        if (!agrees) {
          wrong.add("line " + (i + 1) + ": " + f[0] + "\n  corpus " + f[1] + ", engine " + mine);
        }
      }
    }
    assertThat(wrong).as("disagreements with query-shapes.tsv").isEmpty();
  }
}
