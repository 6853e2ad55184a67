package io.pgtrickle.worker.dvm.bench;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The DML floor of one query: the least any maintenance that changes the stored table in place can
 * cost, measured in the same run as FULL and DIFF. A plain table {@code bench.floor_<query>} holds
 * the query's result with a unique index on its first column (the row's key in all five bench
 * queries: {@code id}, or the group key), as the stream tables' storage has. Each cycle the net
 * change is worked out beforehand, untimed and knowing the answer (the query run again and compared
 * with the table: rows to update, keys to delete, rows to insert, each in a table of its own with
 * its values already typed); then the timed part applies it with the three statements any in-place
 * maintenance must at least run, in one transaction, one round trip, committed as the worker
 * commits (without waiting for the WAL flush): {@code UPDATE ... FROM}, {@code DELETE ... USING},
 * {@code INSERT ... SELECT}, through index probes (hash and merge joins off: at 1% a hash join
 * would scan the whole table). The three are prepared statements with generic plans, planned once
 * and kept across cycles as the engine's apply is (the side tables are emptied with {@code DELETE}
 * and not analyzed, since a {@code TRUNCATE} or an {@code ANALYZE} would make them planned again).
 *
 * <p>So {@code floor_ms} has no change events to read, decode or net and no delta to compute: FULL
 * ÷ floor is the ceiling of the speedup that differential maintenance on PostgreSQL can reach on
 * this machine for that cell (issue #13 §5). It is a bound, not a competitor: it cannot run without
 * the recomputation it skips.
 */
final class BenchFloor {

  /** Makes the prepared statements' names unique in the session (a cell's schema is recreated). */
  private static final AtomicInteger CREATED = new AtomicInteger();

  private final String table;
  private final String query;
  private final List<String> columns;
  private final String prepared;

  private BenchFloor(String table, String query, List<String> columns, String prepared) {
    this.table = table;
    this.query = query;
    this.columns = columns;
    this.prepared = prepared;
  }

  /**
   * Creates {@code bench.floor_<name>} from the query, with a unique index on its first column.
   *
   * @throws SQLException if the first column is not unique in the query's result
   */
  static BenchFloor create(Connection c, String name, String query) throws SQLException {
    String table = "bench.floor_" + name;
    try (Statement s = c.createStatement()) {
      s.execute("CREATE TABLE " + table + " AS " + query);
      List<String> columns = new ArrayList<>();
      try (ResultSet rs =
          s.executeQuery(
              "SELECT attname FROM pg_attribute WHERE attrelid = '"
                  + table
                  + "'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum")) {
        while (rs.next()) {
          columns.add(rs.getString(1));
        }
      }
      s.execute("CREATE UNIQUE INDEX ON " + table + " (" + columns.get(0) + ")");
      for (String part : new String[] {"upd", "ins"}) {
        s.execute("CREATE TABLE " + table + "_" + part + " AS TABLE " + table + " WITH NO DATA");
      }
      s.execute(
          "CREATE TABLE "
              + table
              + "_del AS SELECT "
              + columns.get(0)
              + " FROM "
              + table
              + " WITH NO DATA");
      String prepared = "floor_" + name + "_" + CREATED.incrementAndGet();
      String key = columns.get(0);
      List<String> sets = new ArrayList<>();
      for (String col : columns.subList(1, columns.size())) {
        sets.add(col + " = u." + col);
      }
      s.execute(
          "PREPARE "
              + prepared
              + "_upd AS UPDATE "
              + table
              + " AS f SET "
              + String.join(", ", sets)
              + " FROM "
              + table
              + "_upd AS u WHERE f."
              + key
              + " = u."
              + key);
      s.execute(
          "PREPARE "
              + prepared
              + "_del AS DELETE FROM "
              + table
              + " AS f USING "
              + table
              + "_del AS d WHERE f."
              + key
              + " = d."
              + key);
      s.execute(
          "PREPARE "
              + prepared
              + "_ins AS INSERT INTO "
              + table
              + " SELECT * FROM "
              + table
              + "_ins");
      return new BenchFloor(table, query, columns, prepared);
    }
  }

  /**
   * Untimed: works out the cycle's net change (the query's result now against the table) into the
   * three side tables.
   *
   * @return the rows the floor will change (updated + deleted + inserted)
   */
  long prepare(Connection c) throws SQLException {
    String key = columns.get(0);
    String now = table + "_now";
    try (Statement s = c.createStatement()) {
      s.execute("DROP TABLE IF EXISTS " + now);
      s.execute("CREATE TABLE " + now + " AS " + query);
      for (String part : new String[] {"_upd", "_del", "_ins"}) {
        s.execute("DELETE FROM " + table + part);
      }
      s.execute(
          "INSERT INTO "
              + table
              + "_upd SELECT n.* FROM "
              + now
              + " AS n JOIN "
              + table
              + " AS f ON f."
              + key
              + " = n."
              + key
              + " WHERE ROW(n.*) IS DISTINCT FROM ROW(f.*)");
      s.execute(
          "INSERT INTO "
              + table
              + "_del SELECT f."
              + key
              + " FROM "
              + table
              + " AS f WHERE NOT EXISTS (SELECT FROM "
              + now
              + " AS n WHERE n."
              + key
              + " = f."
              + key
              + ")");
      s.execute(
          "INSERT INTO "
              + table
              + "_ins SELECT n.* FROM "
              + now
              + " AS n WHERE NOT EXISTS (SELECT FROM "
              + table
              + " AS f WHERE f."
              + key
              + " = n."
              + key
              + ")");
      s.execute("DROP TABLE " + now);
      try (ResultSet rs =
          s.executeQuery(
              "SELECT (SELECT count(*) FROM "
                  + table
                  + "_upd) + (SELECT count(*) FROM "
                  + table
                  + "_del) + (SELECT count(*) FROM "
                  + table
                  + "_ins)")) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  /** Timed: applies the prepared net change in one transaction, one round trip; ms. */
  double apply(Connection c) throws SQLException {
    String sql =
        "SET LOCAL synchronous_commit = off; SET LOCAL enable_hashjoin = off;"
            + " SET LOCAL enable_mergejoin = off; EXECUTE "
            + prepared
            + "_upd; EXECUTE "
            + prepared
            + "_del; EXECUTE "
            + prepared
            + "_ins";
    long t0 = System.nanoTime();
    try (Statement s = c.createStatement()) {
      s.execute(sql);
    }
    return (System.nanoTime() - t0) / 1e6;
  }

  /**
   * Untimed check that the floor did what it claims: the table equals the query (multiset, both
   * ways).
   *
   * @throws IllegalStateException if it does not
   */
  void verify(Connection c) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT (SELECT count(*) FROM (TABLE "
                    + table
                    + " EXCEPT ALL ("
                    + query
                    + ")) AS a) + (SELECT count(*) FROM (("
                    + query
                    + ") EXCEPT ALL TABLE "
                    + table
                    + ") AS b)")) {
      rs.next();
      if (rs.getLong(1) != 0) {
        throw new IllegalStateException(table + " differs from its query by " + rs.getLong(1));
      }
    }
  }
}
