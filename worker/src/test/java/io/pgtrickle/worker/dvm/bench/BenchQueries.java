package io.pgtrickle.worker.dvm.bench;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * pg_trickle's refresh matrix (tests/e2e_bench_tests.rs; issue #13 §5): the tables, the row
 * formula, the change cycle and the five queries.
 */
final class BenchQueries {

  private BenchQueries() {}

  /** The five queries by name, over schema {@code bench}. */
  static Map<String, String> queries() {
    Map<String, String> q = new LinkedHashMap<>();
    q.put("scan", "SELECT id, region, category, amount, score FROM bench.src");
    q.put("filter", "SELECT id, region, amount FROM bench.src WHERE amount > 5000");
    q.put(
        "aggregate",
        "SELECT region, SUM(amount) AS total, COUNT(*) AS cnt FROM bench.src GROUP BY region");
    q.put(
        "join",
        "SELECT s.id, s.region, s.amount, d.region_name FROM bench.src s"
            + " INNER JOIN bench.dim d ON s.region = d.region");
    q.put(
        "join_agg",
        "SELECT d.region_name, SUM(s.amount) AS total, COUNT(*) AS cnt FROM bench.src s"
            + " INNER JOIN bench.dim d ON s.region = d.region GROUP BY d.region_name");
    return q;
  }

  static final String[] SETUP = {
    "CREATE TABLE bench.src (id serial PRIMARY KEY, region text, category text, amount int, score int)",
    "CREATE TABLE bench.dim (id serial PRIMARY KEY, region text NOT NULL, region_name text NOT NULL,"
        + " multiplier numeric NOT NULL DEFAULT 1.0)",
    "INSERT INTO bench.dim (region, region_name, multiplier) VALUES ('north', 'Northern Region', 1.1),"
        + " ('south', 'Southern Region', 0.9), ('east', 'Eastern Region', 1.0),"
        + " ('west', 'Western Region', 1.2), ('central', 'Central Region', 1.05)",
  };

  /** Row i: region {north,south,east,west,central}[i%5], category {A,B,C,D}[i%4], ... */
  static String load(int rows) {
    return "INSERT INTO bench.src (region, category, amount, score) SELECT"
        + " (ARRAY['north', 'south', 'east', 'west', 'central'])[i % 5 + 1],"
        + " (ARRAY['A', 'B', 'C', 'D'])[i % 4 + 1], (i * 17 + 13) % 10000, (i * 31 + 7) % 100"
        + " FROM generate_series(1, "
        + rows
        + ") AS s(i)";
  }

  /** One cycle's writes for n = rows x rate: UPDATE 70%, DELETE 15%, INSERT 15% of n. */
  static String[] cycle(int rows, double rate) {
    int n = Math.max(1, (int) (rows * rate));
    int updates = Math.max(1, (int) (n * 0.70));
    int deletes = Math.max(1, (int) (n * 0.15));
    int inserts = Math.max(1, (int) (n * 0.15));
    return new String[] {
      "UPDATE bench.src SET amount = amount + 1 WHERE id IN (SELECT id FROM bench.src ORDER BY random() LIMIT "
          + updates
          + ")",
      "DELETE FROM bench.src WHERE id IN (SELECT id FROM bench.src ORDER BY random() LIMIT "
          + deletes
          + ")",
      "INSERT INTO bench.src (region, category, amount, score) SELECT"
          + " (ARRAY['north', 'south', 'east', 'west', 'central'])[i % 5 + 1],"
          + " (ARRAY['A', 'B', 'C', 'D'])[i % 4 + 1], (random() * 10000)::int, (random() * 100)::int"
          + " FROM generate_series(1, "
          + inserts
          + ") AS s(i)"
    };
  }
}
