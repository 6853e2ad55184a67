package io.pgtrickle.worker.dvm.random;

import io.pgtrickle.worker.dvm.support.ChangeCapture;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * The source tables of the randomized test, in four schema variants that differ in column types and
 * keys (so the same query shape meets integer, numeric with and without scale, bigint and float
 * columns, and keyed and keyless tables). Every variant has tables {@code a}, {@code b}, {@code c},
 * {@code d} with the same column names:
 *
 * <pre>
 *   a(id, k int, g text, n &lt;variant&gt;, v int, f float8)   b(id, k int, w int, t text)
 *   c(k int, x int, y text)  -- never a primary key       d(id, bid int, z numeric(10,2))
 * </pre>
 */
public final class Schemas {

  /** Number of variants; schema names {@code dvm_rt0..3}. */
  public static final int VARIANTS = 4;

  private Schemas() {}

  public static String schema(int variant) {
    return "dvm_rt" + variant;
  }

  /** SQL type of column {@code a.n} in each variant. */
  public static String nType(int variant) {
    return switch (variant) {
      case 0 -> "numeric";
      case 1 -> "numeric(12,3)";
      case 2 -> "bigint";
      default -> "double precision";
    };
  }

  /** Whether table {@code a} has a primary key in the variant ({@code id}). */
  public static boolean aKeyed(int variant) {
    return variant != 1;
  }

  /** Whether table {@code b} has a primary key in the variant. */
  public static boolean bKeyed(int variant) {
    return variant != 2;
  }

  /** Whether {@code d.bid} is NOT NULL (grouping on it needs no hash). */
  public static boolean dBidNotNull(int variant) {
    return variant == 0 || variant == 2;
  }

  /** Creates every variant's tables with change capture (idempotent per server). */
  public static synchronized void install(Connection c) throws SQLException {
    ChangeCapture.install(c);
    for (int v = 0; v < VARIANTS; v++) {
      String s = schema(v);
      try (Statement st = c.createStatement()) {
        st.execute("DROP SCHEMA IF EXISTS " + s + " CASCADE");
        st.execute("CREATE SCHEMA " + s);
        st.execute(
            "CREATE TABLE "
                + s
                + ".a (id "
                + (v == 3 ? "bigint" : "int")
                + (aKeyed(v) ? " PRIMARY KEY" : "")
                + ", k int, g "
                + (v == 1 ? "varchar(8)" : "text")
                + ", n "
                + nType(v)
                + ", v "
                + (v == 2 ? "smallint" : "int")
                + ", f double precision)");
        st.execute(
            "CREATE TABLE "
                + s
                + ".b (id int"
                + (bKeyed(v) ? " PRIMARY KEY" : "")
                + ", k int, w int, t text)");
        st.execute("CREATE TABLE " + s + ".c (k int, x int, y text)");
        st.execute(
            "CREATE TABLE "
                + s
                + ".d (id int PRIMARY KEY, bid int"
                + (dBidNotNull(v) ? " NOT NULL" : "")
                + ", z numeric(10,2))");
      }
      for (String t : List.of("a", "b", "c", "d")) {
        ChangeCapture.track(c, s + "." + t);
      }
    }
  }
}
