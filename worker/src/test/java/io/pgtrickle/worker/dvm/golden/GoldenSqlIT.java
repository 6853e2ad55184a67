package io.pgtrickle.worker.dvm.golden;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.worker.dvm.Analysis;
import io.pgtrickle.worker.dvm.DifferentialEngine;
import io.pgtrickle.worker.dvm.support.PgServers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The SQL each query shape produces ({@code explain}: storage columns, full refresh, apply), kept
 * in {@code src/test/resources/dvm/golden/<shape>.sql} so that a reviewer reads the delta rules and
 * sees every change to them. Run on PostgreSQL 15 (MERGE), whose {@code pg_get_viewdef} output the
 * files record. {@code -Ddvm.golden.update=true} rewrites the files.
 */
class GoldenSqlIT {

  private static final Path DIR = Path.of("src/test/resources/dvm/golden");

  static Map<String, String> shapes() {
    Map<String, String> q = new LinkedHashMap<>();
    q.put("scan", "SELECT id, region, category, amount, score FROM golden.src");
    q.put(
        "filter_case",
        "SELECT id, CASE WHEN amount > 5000 THEN 'big' ELSE 'small' END AS size FROM golden.src"
            + " WHERE score > 10");
    q.put("projection_without_key", "SELECT region, amount FROM golden.src WHERE amount > 5000");
    q.put("keyless", "SELECT k, v FROM golden.log WHERE v IS NOT NULL");
    q.put(
        "json_columns", "SELECT id, j, js::text AS js, ja, d FROM golden.docs WHERE j IS NOT NULL");
    q.put(
        "aggregate",
        "SELECT region, SUM(amount) AS total, COUNT(*) AS cnt FROM golden.src GROUP BY region");
    q.put(
        "aggregate_all_kinds",
        "SELECT category, count(amount) AS c, avg(amount) AS a, min(score) AS lo, max(region) AS hi,"
            + " sum(amount) FILTER (WHERE score > 50) AS big, sum(price) AS p, avg(ratio) AS r"
            + " FROM golden.src GROUP BY category HAVING count(*) > 1");
    q.put("scalar_aggregate", "SELECT count(*) AS n, sum(amount) AS total FROM golden.src");
    q.put("distinct", "SELECT DISTINCT region, category FROM golden.src");
    q.put(
        "join",
        "SELECT s.id, s.region, s.amount, d.region_name FROM golden.src s INNER JOIN golden.dim d ON s.region = d.region");
    q.put(
        "join_4_tables",
        "SELECT s.id, d.region_name, o.note, l.v FROM golden.src s JOIN golden.dim d ON d.region = s.region"
            + " JOIN golden.owner o ON o.region = d.region JOIN golden.log l ON l.k = s.score");
    q.put(
        "join_aggregate",
        "SELECT d.region_name, SUM(s.amount) AS total, COUNT(*) AS cnt FROM golden.src s"
            + " INNER JOIN golden.dim d ON s.region = d.region GROUP BY d.region_name");
    q.put(
        "left_join",
        "SELECT s.id, d.region_name FROM golden.src s LEFT JOIN golden.dim d ON d.region = s.region");
    q.put(
        "union_all",
        "SELECT region FROM golden.src WHERE amount > 9000 UNION ALL SELECT region FROM golden.dim");
    q.put(
        "subquery_aggregate_join",
        "SELECT d.region_name, t.total FROM (SELECT region, sum(amount) AS total FROM golden.src"
            + " GROUP BY region) t JOIN golden.dim d ON d.region = t.region");
    return q;
  }

  @BeforeAll
  static void schema() throws SQLException {
    try (Connection c = PgServers.connect(15);
        Statement s = c.createStatement()) {
      s.execute("DROP SCHEMA IF EXISTS golden CASCADE");
      s.execute("CREATE SCHEMA golden");
      s.execute(
          "CREATE TABLE golden.src (id int PRIMARY KEY, region text, category text, amount int,"
              + " score int, price numeric, ratio float8)");
      s.execute(
          "CREATE TABLE golden.dim (id int PRIMARY KEY, region text NOT NULL, region_name text NOT NULL)");
      s.execute("CREATE TABLE golden.owner (region text PRIMARY KEY, note text)");
      s.execute("CREATE TABLE golden.log (k int, v int)");
      s.execute("CREATE DOMAIN golden.doc AS jsonb");
      s.execute(
          "CREATE TABLE golden.docs (id int PRIMARY KEY, j jsonb, js json, ja jsonb[],"
              + " d golden.doc)");
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("names")
  void matchesGoldenFile(String shape) throws Exception {
    String explained;
    try (Connection c = PgServers.connect(15)) {
      Analysis a = DifferentialEngine.analyze(c, shapes().get(shape));
      assertThat(a).isInstanceOf(Analysis.Differential.class);
      explained =
          "-- "
              + shapes().get(shape)
              + "\n"
              + ((Analysis.Differential) a).plan().explain("golden", "st_" + shape);
    }
    // Change buffers are named by table oid, which differs from server to server.
    explained = explained.replaceAll("changes_[0-9]+", "changes_<oid>");
    Path file = DIR.resolve(shape + ".sql");
    if (Boolean.getBoolean("dvm.golden.update") || !Files.exists(file)) {
      Files.writeString(file, explained);
    }
    assertThat(explained).isEqualTo(Files.readString(file));
  }

  static java.util.stream.Stream<String> names() {
    return shapes().keySet().stream();
  }
}
