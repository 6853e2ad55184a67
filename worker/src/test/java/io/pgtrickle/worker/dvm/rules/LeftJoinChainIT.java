package io.pgtrickle.worker.dvm.rules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgtrickle.worker.dvm.support.TestStreamTable;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * A chain of LEFT JOINs {@code cust ⟕ ord ⟕ item} over small tables (12, 16 and 188 rows) whose
 * windows hold many changes to the same rows. Each window of a source that sits under a LEFT JOIN
 * is netted ({@code DeltaBuilder.nettedSources}), so the delta's work follows the rows changed, not
 * the changes: before, every UPDATE gave two images, and the LEFT JOIN's terms multiplied and
 * rescanned them (1,000 changes: 1.6 million rows into the consolidation and 447,120 runs of each
 * match-count subplan, 24 s; worker/MEASUREMENTS.md, 2026-12-07).
 *
 * <p>The work is measured deterministically, not timed: the rows every node of the apply's plan
 * produced ({@code EXPLAIN (ANALYZE)}, the sum of rows × loops over all nodes).
 */
class LeftJoinChainIT {

  private static final Pattern ACTUAL = Pattern.compile("actual rows=(\\d+) loops=(\\d+)");
  private static final Pattern REMOVED = Pattern.compile("Rows Removed by [A-Za-z ]+: (\\d+)");

  @Test
  void workFollowsTheRowsChangedNotTheChanges() throws Exception {
    try (RuleFixture f =
        new RuleFixture(
            15,
            "CREATE TABLE rules.cust (id int PRIMARY KEY, name text)",
            "CREATE TABLE rules.ord (id int PRIMARY KEY, cust_id int, amt numeric)",
            "CREATE TABLE rules.item (id int PRIMARY KEY, ord_id int, qty interval)")) {
      f.write(
          "INSERT INTO rules.cust SELECT i, 'c'||i FROM generate_series(1,12) i",
          "INSERT INTO rules.ord SELECT i, i%14, i FROM generate_series(1,16) i",
          "INSERT INTO rules.item SELECT i, i%18, i * interval '1 hour' FROM generate_series(1,188) i");
      TestStreamTable chain =
          f.streamTable(
              "lj3",
              "SELECT c.id AS cid, o.id AS oid, o.amt, i.id AS iid, i.qty FROM rules.cust c"
                  + " LEFT JOIN rules.ord o ON o.cust_id = c.id"
                  + " LEFT JOIN rules.item i ON i.ord_id = o.id");
      TestStreamTable counts =
          f.streamTable(
              "lj3_counts",
              "SELECT c.id AS cid, count(o.id) AS orders, count(i.id) AS items FROM rules.cust c"
                  + " LEFT JOIN rules.ord o ON o.cust_id = c.id"
                  + " LEFT JOIN rules.item i ON i.ord_id = o.id GROUP BY c.id");
      Random r = new Random(1);
      long[] work = new long[2];
      int[] sizes = {300, 1200};
      for (int round = 0; round < sizes.length; round++) {
        f.write(changes(r, sizes[round]));
        work[round] = rowsProduced(chain.explainRefresh(f.conn, "ANALYZE, TIMING OFF"));
        assertEquals("DIFFERENTIAL", chain.refresh(f.conn));
        assertEquals("DIFFERENTIAL", counts.refresh(f.conn));
        chain.assertMatchesQuery(f.conn);
        counts.assertMatchesQuery(f.conn);
      }
      System.out.printf(
          "LeftJoinChainIT rows produced: %d (300 changes), %d (1,200)%n", work[0], work[1]);
      // Both windows change the same 216 rows (the larger one more of them): the netted work grows
      // by the rows changed (measured 11,291 then 21,409 rows, 1.9x); linear work would be 4x; the
      // un-netted delta's was 34x (327,592 then 11,207,128 rows, 2026-12-07).
      assertTrue(
          work[1] <= 3 * work[0],
          "rows produced by the apply's plan: "
              + work[0]
              + " for 300 changes, "
              + work[1]
              + " for 1,200");

      // Netting groups a column by its text too where equality is not identity: numeric 1.0 and
      // 1.00, interval 1 day and 24:00:00 are different images, and an update between them is a
      // change.
      f.write(
          "UPDATE rules.ord SET amt = 1.0, cust_id = 1 WHERE id = 1",
          "UPDATE rules.item SET qty = '24 hours', ord_id = 1 WHERE id = 1");
      chain.refresh(f.conn);
      assertEquals(
          List.of("1.0|24:00:00"),
          f.rows("SELECT amt, qty FROM rules.lj3 WHERE oid = 1 AND iid = 1"));
      f.write(
          "UPDATE rules.ord SET amt = 1.00 WHERE id = 1",
          "UPDATE rules.ord SET cust_id = cust_id WHERE id = 1",
          "UPDATE rules.item SET qty = '1 day' WHERE id = 1",
          "UPDATE rules.item SET ord_id = ord_id WHERE id = 1");
      assertEquals("DIFFERENTIAL", chain.refresh(f.conn));
      chain.assertMatchesQuery(f.conn);
      assertEquals(
          List.of("1.00|1 day"),
          f.rows("SELECT amt, qty FROM rules.lj3 WHERE oid = 1 AND iid = 1"),
          "the stored images after 1.0 -> 1.00 and 24:00:00 -> 1 day");
    }
  }

  /**
   * Changes to distinct rows of larger tables (4,000, 8,000 and 16,000 rows, no index on the join
   * columns): netting leaves every image, so this is the LEFT JOIN's right-side term itself. Its
   * factor (the number of matches in R' and the weights of the right delta's matches, per left row)
   * is computed once per left row: the LATERAL holding it is not pulled up into the query. Pulled
   * up, PostgreSQL evaluated it as a filter of the inner side of a nested loop, once per (left
   * delta row, right delta row) pair, with the match count twice: 90 changes ran 3,600 × 3
   * subplans, each a scan of the 16,000 items, 8.5 s (worker/MEASUREMENTS.md, 2026-12-07).
   */
  @Test
  void rightChangesAreCountedOncePerLeftRow() throws Exception {
    try (RuleFixture f =
        new RuleFixture(
            15,
            "CREATE TABLE rules.cust (id int PRIMARY KEY, name text)",
            "CREATE TABLE rules.ord (id int PRIMARY KEY, cust_id int)",
            "CREATE TABLE rules.item (id int PRIMARY KEY, ord_id int)")) {
      f.write(
          "INSERT INTO rules.cust SELECT i, 'c'||i FROM generate_series(1,4000) i",
          "INSERT INTO rules.ord SELECT i, i%4100 FROM generate_series(1,8000) i",
          "INSERT INTO rules.item SELECT i, i%8100 FROM generate_series(1,16000) i",
          "ANALYZE rules.cust",
          "ANALYZE rules.ord",
          "ANALYZE rules.item");
      TestStreamTable chain =
          f.streamTable(
              "lj3",
              "SELECT c.id AS cid, o.id AS oid, i.id AS iid FROM rules.cust c"
                  + " LEFT JOIN rules.ord o ON o.cust_id = c.id"
                  + " LEFT JOIN rules.item i ON i.ord_id = o.id");
      long[] work = new long[2];
      int[] perTable = {10, 40};
      int base = 0;
      for (int round = 0; round < perTable.length; round++) {
        int lo = base;
        int hi = base + perTable[round];
        base = hi;
        f.write(
            "UPDATE rules.ord SET cust_id = (cust_id + 7) % 4100 WHERE id > "
                + lo
                + " AND id <= "
                + hi,
            "UPDATE rules.item SET ord_id = (ord_id + 7) % 8100 WHERE id > "
                + lo
                + " AND id <= "
                + hi,
            "UPDATE rules.cust SET id = id + 100000 WHERE id > " + lo + " AND id <= " + hi);
        work[round] = rowsRead(chain.explainRefresh(f.conn, "ANALYZE, TIMING OFF"));
        assertEquals("DIFFERENTIAL", chain.refresh(f.conn));
        chain.assertMatchesQuery(f.conn);
      }
      System.out.printf(
          "LeftJoinChainIT rows read: %d (30 changes to distinct rows), %d (120)%n",
          work[0], work[1]);
      // 4x the changes: per left row the work grows about 4x (less with the fixed scans); per pair
      // of delta rows it grew 16x.
      assertTrue(
          work[1] <= 6 * work[0],
          "rows read by the apply's plan: " + work[0] + " for 30 changes, " + work[1] + " for 120");
    }
  }

  /** {@code n} updates of the three tables, in one transaction's worth of statements. */
  private static String[] changes(Random r, int n) {
    List<String> w = new ArrayList<>();
    for (int k = 0; k < n; k++) {
      switch (r.nextInt(3)) {
        case 0 ->
            w.add(
                "UPDATE rules.ord SET cust_id = "
                    + r.nextInt(14)
                    + " WHERE id = "
                    + (1 + r.nextInt(16)));
        case 1 ->
            w.add(
                "UPDATE rules.item SET ord_id = "
                    + r.nextInt(18)
                    + " WHERE id = "
                    + (1 + r.nextInt(188)));
        default ->
            w.add("UPDATE rules.cust SET name = name || 'x' WHERE id = " + (1 + r.nextInt(12)));
      }
    }
    return w.toArray(String[]::new);
  }

  /** The sum of rows × loops over the nodes of an {@code EXPLAIN (ANALYZE, TIMING OFF)} text. */
  private static long rowsProduced(String plan) {
    long total = 0;
    Matcher m = ACTUAL.matcher(plan);
    while (m.find()) {
      total += Long.parseLong(m.group(1)) * Long.parseLong(m.group(2));
    }
    assertTrue(total > 0, "no actual rows in:\n" + plan);
    return total;
  }

  /**
   * The rows the nodes of an {@code EXPLAIN (ANALYZE, TIMING OFF)} text read: {@link #rowsProduced}
   * plus the rows their filters removed, times their loops (EXPLAIN shows both per loop).
   */
  private static long rowsRead(String plan) {
    long total = 0;
    long loops = 0;
    for (String line : plan.split("\n")) {
      Matcher m = ACTUAL.matcher(line);
      Matcher removed = REMOVED.matcher(line);
      if (m.find()) {
        loops = Long.parseLong(m.group(2));
        total += Long.parseLong(m.group(1)) * loops;
      } else if (removed.find()) {
        total += Long.parseLong(removed.group(1)) * loops;
      }
    }
    assertTrue(total > 0, "no actual rows in:\n" + plan);
    return total;
  }
}
