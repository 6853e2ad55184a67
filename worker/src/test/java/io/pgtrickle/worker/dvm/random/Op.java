package io.pgtrickle.worker.dvm.random;

/**
 * One write of a randomized scenario, rendered as SQL for a schema variant. Values are test data
 * spliced into test SQL (never product code).
 */
public sealed interface Op {

  /** The statement for schema {@code s}. */
  String sql(String s);

  /**
   * {@code INSERT} of one row of table a (b, d similar); a key conflict inserts nothing.
   *
   * @param n index into the variant's values of column n ({@link Values#n}), or null
   */
  record InsertA(int id, Integer k, String g, Integer n, Integer v, String f) implements Op {
    @Override
    public String sql(String s) {
      return "INSERT INTO "
          + s
          + ".a VALUES ("
          + id
          + ", "
          + k
          + ", "
          + lit(g)
          + ", "
          + Values.n(s, n)
          + ", "
          + v
          + ", "
          + f
          + ") ON CONFLICT DO NOTHING";
    }
  }

  record InsertB(int id, Integer k, Integer w, String t) implements Op {
    @Override
    public String sql(String s) {
      return "INSERT INTO "
          + s
          + ".b VALUES ("
          + id
          + ", "
          + k
          + ", "
          + w
          + ", "
          + lit(t)
          + ") ON CONFLICT DO NOTHING";
    }
  }

  /** Table c has no key: an insert may duplicate a row. */
  record InsertC(Integer k, Integer x, String y) implements Op {
    @Override
    public String sql(String s) {
      return "INSERT INTO " + s + ".c VALUES (" + k + ", " + x + ", " + lit(y) + ")";
    }
  }

  record InsertD(int id, Integer bid, String z) implements Op {
    @Override
    public String sql(String s) {
      return "INSERT INTO "
          + s
          + ".d VALUES ("
          + id
          + ", coalesce("
          + bid
          + ", 0), "
          + z
          + ") ON CONFLICT DO NOTHING";
    }
  }

  /** {@code UPDATE t SET assignment WHERE condition}, e.g. a key change {@code id = id + 40}. */
  record Update(String table, String assignment, String condition) implements Op {
    @Override
    public String sql(String s) {
      return "UPDATE "
          + s
          + "."
          + table
          + " SET "
          + assignment
          + " WHERE "
          + condition.replace("{T}", s);
    }
  }

  record Delete(String table, String condition) implements Op {
    @Override
    public String sql(String s) {
      return "DELETE FROM " + s + "." + table + " WHERE " + condition.replace("{T}", s);
    }
  }

  /** Rare: TRUNCATE (the refresh must then recompute). */
  record Truncate(String table) implements Op {
    @Override
    public String sql(String s) {
      return "TRUNCATE " + s + "." + table;
    }
  }

  /** A statement written by hand ({@code {S}} stands for the schema), for regression cases. */
  record Raw(String statement) implements Op {
    @Override
    public String sql(String s) {
      return statement.replace("{S}", s);
    }
  }

  private static String lit(String text) {
    return text == null ? "NULL" : "'" + text + "'";
  }
}
