package io.pgtrickle.worker.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The corpus worker/src/test/resources/query-shapes.tsv: on every PostgreSQL major, the front
 * door's verdict for each query (DIFFERENTIAL, the construct that prevents it, or the SQLSTATE
 * refusing it) is the one the corpus states. The differential engine's analyzer is checked against
 * the same file.
 */
class QueryShapesIT {

  /** One line of the corpus. */
  record Shape(int line, String query, String verdict) {}

  static List<Shape> corpus() throws Exception {
    List<Shape> out = new ArrayList<>();
    List<String> lines = Files.readAllLines(Path.of("src/test/resources/query-shapes.tsv"));
    for (int i = 0; i < lines.size(); i++) {
      String l = lines.get(i);
      if (l.isBlank() || l.startsWith("#") || l.equals("query\tverdict")) {
        continue;
      }
      String[] f = l.split("\t");
      if (f.length != 2) {
        throw new IllegalStateException("query-shapes.tsv line " + (i + 1) + ": two columns");
      }
      out.add(new Shape(i + 1, f[0], f[1]));
    }
    return out;
  }

  static List<Integer> majors() {
    return CatalogDb.MAJORS;
  }

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource("majors")
  void everyVerdictHolds(int major) throws Exception {
    List<Shape> shapes = corpus();
    assertThat(shapes).hasSizeGreaterThan(60);
    try (CatalogDb db = CatalogDb.start(major)) {
      String d = db.freshDatabase();
      try (Connection c = db.connect(d)) {
        try (Statement s = c.createStatement()) {
          s.execute(Files.readString(Path.of("src/test/resources/query-shapes-schema.sql")));
        }
        List<String> wrong = new ArrayList<>();
        for (Shape shape : shapes) {
          String verdict = verdict(c, shape.query());
          if (!verdict.equals(shape.verdict())) {
            wrong.add(
                "line "
                    + shape.line()
                    + ": "
                    + shape.query()
                    + "\n  expected "
                    + shape.verdict()
                    + ", got "
                    + verdict);
          }
        }
        assertThat(wrong).as("verdicts on PostgreSQL %d", major).isEmpty();
      }
    }
  }

  /** The front door's verdict, as create_stream_table reaches it (pgtrickle._probe). */
  static String verdict(Connection c, String query) throws SQLException {
    try (PreparedStatement p =
        c.prepareStatement(
            "SELECT CASE WHEN jsonb_array_length(a->'blockers') = 0 THEN 'DIFFERENTIAL'"
                + " ELSE a->'blockers'->>0 END, a->>'probe'"
                + " FROM pgtrickle._probe(?, current_setting('search_path'), 0) a")) {
      p.setString(1, query);
      try (ResultSet rs = p.executeQuery()) {
        rs.next();
        String verdict = rs.getString(1);
        try (Statement s = c.createStatement()) {
          s.execute("DROP VIEW " + rs.getString(2));
        }
        return verdict;
      }
    } catch (SQLException e) {
      if (e.getSQLState() == null) {
        throw e;
      }
      return "REFUSED " + e.getSQLState();
    }
  }
}
