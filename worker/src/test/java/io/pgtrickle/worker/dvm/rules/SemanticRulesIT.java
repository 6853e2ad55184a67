package io.pgtrickle.worker.dvm.rules;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.worker.dvm.support.TestStreamTable;
import java.sql.SQLException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/**
 * Each rule of issue #13 §2, on PostgreSQL 14 (data-modifying CTEs) and 18 (MERGE): after every
 * refresh the stream table shows the stated values and equals its query recomputed.
 */
class SemanticRulesIT {

  static final java.util.List<Integer> MAJORS =
      io.pgtrickle.worker.dvm.support.PgServers.RULE_MAJORS;

  private static final String ITEMS =
      "CREATE TABLE rules.items (id int PRIMARY KEY, grp text, qty int, price numeric, ratio float8)";

  @ParameterizedTest(name = "PostgreSQL {0}")
  @FieldSource("MAJORS")
  void sumOfOnlyNullInputsIsNullAndCountSkipsNulls(int major) throws SQLException {
    try (RuleFixture f = new RuleFixture(major, ITEMS)) {
      f.write("INSERT INTO rules.items VALUES (1, 'g', 5, 1.5, 0.5), (2, 'g', NULL, NULL, NULL)");
      TestStreamTable st =
          f.streamTable(
              "t",
              "SELECT grp, sum(qty) AS s, count(qty) AS c, count(*) AS n, avg(qty) AS a,"
                  + " sum(price) AS sp FROM rules.items GROUP BY grp");
      f.write("DELETE FROM rules.items WHERE id = 1");
      assertThat(st.refresh(f.conn)).isEqualTo("DIFFERENTIAL");
      assertThat(f.rows("SELECT grp, s, c, n, a, sp FROM rules.t"))
          .containsExactly("g|null|0|1|null|null");
      st.assertMatchesQuery(f.conn);
    }
  }

  /**
   * Windows whose changes all fail the filter: the scalar aggregate's delta is empty, its stored
   * count must stay a number (a NULL one made PostgreSQL 14's apply insert a second row).
   */
  @ParameterizedTest(name = "PostgreSQL {0}")
  @FieldSource("MAJORS")
  void scalarAggregateKeepsItsOneRowWhenNoChangePassesTheFilter(int major) throws SQLException {
    try (RuleFixture f = new RuleFixture(major, ITEMS)) {
      TestStreamTable st =
          f.streamTable("t", "SELECT count(*) AS n FROM rules.items WHERE qty > 0");
      f.write("INSERT INTO rules.items VALUES (1, 'g', NULL, NULL, NULL)");
      assertThat(st.refresh(f.conn)).isEqualTo("DIFFERENTIAL");
      f.write("INSERT INTO rules.items VALUES (2, 'g', NULL, NULL, NULL)");
      assertThat(st.refresh(f.conn)).isEqualTo("DIFFERENTIAL");
      assertThat(f.rows("SELECT n, __pgt_count IS NOT NULL FROM rules.t")).containsExactly("0|t");
      st.assertMatchesQuery(f.conn);
    }
  }

  @ParameterizedTest(name = "PostgreSQL {0}")
  @FieldSource("MAJORS")
  void scalarAggregateKeepsItsOneRow(int major) throws SQLException {
    try (RuleFixture f = new RuleFixture(major, ITEMS)) {
      f.write("INSERT INTO rules.items VALUES (1, 'g', 5, 1.5, 0.5)");
      TestStreamTable st =
          f.streamTable(
              "t",
              "SELECT count(*) AS n, sum(qty) AS s, avg(price) AS a, max(grp) AS m FROM rules.items");
      f.write("DELETE FROM rules.items");
      st.refresh(f.conn);
      assertThat(f.rows("SELECT n, s, a, m FROM rules.t")).containsExactly("0|null|null|null");
      st.assertMatchesQuery(f.conn);
      f.write("INSERT INTO rules.items VALUES (7, 'x', 2, 2.25, 1)");
      st.refresh(f.conn);
      assertThat(f.rows("SELECT n, s, a, m FROM rules.t"))
          .containsExactly("1|2|2.2500000000000000|x");
      st.assertMatchesQuery(f.conn);
    }
  }

  @ParameterizedTest(name = "PostgreSQL {0}")
  @FieldSource("MAJORS")
  void nullGroupKeysFormOneGroup(int major) throws SQLException {
    try (RuleFixture f = new RuleFixture(major, ITEMS)) {
      f.write(
          "INSERT INTO rules.items VALUES (1, NULL, 5, 1, 1), (2, NULL, 7, 1, 1), (3, 'a', 1, 1, 1)");
      TestStreamTable st =
          f.streamTable("t", "SELECT grp, sum(qty) AS s FROM rules.items GROUP BY grp");
      f.write(
          "UPDATE rules.items SET grp = NULL WHERE id = 3", "DELETE FROM rules.items WHERE id = 1");
      st.refresh(f.conn);
      assertThat(f.rows("SELECT grp, s FROM rules.t")).containsExactly("null|8");
      st.assertMatchesQuery(f.conn);
    }
  }

  @ParameterizedTest(name = "PostgreSQL {0}")
  @FieldSource("MAJORS")
  void numericSumsAreExactBitForBit(int major) throws SQLException {
    try (RuleFixture f = new RuleFixture(major, ITEMS)) {
      f.write("INSERT INTO rules.items VALUES (1, 'g', 1, 1.5, 0)");
      TestStreamTable st =
          f.streamTable(
              "t", "SELECT grp, sum(price) AS s, avg(price) AS a FROM rules.items GROUP BY grp");
      // A larger scale arrives, then leaves again: the sum's scale shrinks as recomputation's does.
      f.write("INSERT INTO rules.items VALUES (2, 'g', 1, 0.1000, 0), (3, 'g', 1, 0.2, 0)");
      st.refresh(f.conn);
      assertThat(f.rows("SELECT s::text FROM rules.t")).containsExactly("1.8000");
      f.write("DELETE FROM rules.items WHERE id IN (2, 3)");
      st.refresh(f.conn);
      assertThat(f.rows("SELECT s::text, a::text FROM rules.t"))
          .containsExactly("1.5|1.50000000000000000000");
      st.assertMatchesQuery(f.conn);
    }
  }

  @ParameterizedTest(name = "PostgreSQL {0}")
  @FieldSource("MAJORS")
  void floatGroupsAreRecomputedNotDrifting(int major) throws SQLException {
    try (RuleFixture f = new RuleFixture(major, ITEMS)) {
      f.write("INSERT INTO rules.items VALUES (1, 'g', 1, 1, 1e16)");
      TestStreamTable st =
          f.streamTable(
              "t", "SELECT grp, sum(ratio) AS s, avg(ratio) AS a FROM rules.items GROUP BY grp");
      // Adding then subtracting 0.1, 0.2 and 1 next to 1e16 would not return to 1e16 in float8.
      f.write(
          "INSERT INTO rules.items VALUES (2, 'g', 1, 1, 0.1), (3, 'g', 1, 1, 0.2), (4, 'g', 1, 1, 1)");
      st.refresh(f.conn);
      f.write("DELETE FROM rules.items WHERE id > 1");
      st.refresh(f.conn);
      assertThat(f.rows("SELECT s::text, a::text FROM rules.t")).containsExactly("1e+16|1e+16");
      st.assertMatchesQuery(f.conn);
    }
  }

  @ParameterizedTest(name = "PostgreSQL {0}")
  @FieldSource("MAJORS")
  void severalChangesToOneRowAreNetted(int major) throws SQLException {
    try (RuleFixture f = new RuleFixture(major, ITEMS)) {
      f.write("INSERT INTO rules.items VALUES (1, 'g', 1, 1, 1)");
      TestStreamTable st = f.streamTable("t", "SELECT id, qty FROM rules.items");
      f.write("UPDATE rules.items SET qty = 2 WHERE id = 1");
      f.write(
          "UPDATE rules.items SET qty = 3 WHERE id = 1",
          "UPDATE rules.items SET qty = 4 WHERE id = 1");
      f.write(
          "INSERT INTO rules.items VALUES (2, 'g', 9, 1, 1)",
          "UPDATE rules.items SET qty = 10 WHERE id = 2");
      st.refresh(f.conn);
      assertThat(f.rows("SELECT id, qty FROM rules.t ORDER BY id")).containsExactly("1|4", "2|10");
      st.assertMatchesQuery(f.conn);
    }
  }

  @ParameterizedTest(name = "PostgreSQL {0}")
  @FieldSource("MAJORS")
  void insertedAndDeletedInOneBatchLeavesNoTrace(int major) throws SQLException {
    try (RuleFixture f = new RuleFixture(major, ITEMS)) {
      f.write("INSERT INTO rules.items VALUES (1, 'g', 1, 1, 1)");
      TestStreamTable st = f.streamTable("t", "SELECT id, qty FROM rules.items");
      TestStreamTable agg =
          f.streamTable(
              "a", "SELECT grp, min(qty) AS m, count(*) AS n FROM rules.items GROUP BY grp");
      String before = f.rows("SELECT xmin::text || ctid::text FROM rules.t").get(0);
      String aggBefore = f.rows("SELECT xmin::text || ctid::text FROM rules.a").get(0);
      f.write("INSERT INTO rules.items VALUES (2, 'g', 0, 1, 1)");
      f.write("DELETE FROM rules.items WHERE id = 2");
      f.write(
          "INSERT INTO rules.items VALUES (3, 'h', 0, 1, 1)",
          "DELETE FROM rules.items WHERE id = 3");
      st.refresh(f.conn);
      agg.refresh(f.conn);
      assertThat(f.rows("SELECT xmin::text || ctid::text FROM rules.t")).containsExactly(before);
      assertThat(f.rows("SELECT grp, m, n FROM rules.a")).containsExactly("g|1|1");
      st.assertMatchesQuery(f.conn);
      agg.assertMatchesQuery(f.conn);
      assertThat(aggBefore).isNotNull();
    }
  }

  @ParameterizedTest(name = "PostgreSQL {0}")
  @FieldSource("MAJORS")
  void keyChangesMoveTheRow(int major) throws SQLException {
    try (RuleFixture f =
        new RuleFixture(
            major, ITEMS, "CREATE TABLE rules.groups (grp text PRIMARY KEY, label text)")) {
      f.write(
          "INSERT INTO rules.items VALUES (1, 'a', 1, 1, 1), (2, 'b', 2, 1, 1)",
          "INSERT INTO rules.groups VALUES ('a', 'A'), ('b', 'B')");
      TestStreamTable byKey = f.streamTable("k", "SELECT id, qty FROM rules.items");
      TestStreamTable joined =
          f.streamTable(
              "j", "SELECT i.id, g.label FROM rules.items i JOIN rules.groups g ON g.grp = i.grp");
      f.write(
          "UPDATE rules.items SET id = 10 WHERE id = 1",
          "UPDATE rules.items SET grp = 'a' WHERE id = 2");
      byKey.refresh(f.conn);
      joined.refresh(f.conn);
      assertThat(f.rows("SELECT id, qty FROM rules.k ORDER BY id")).containsExactly("2|2", "10|1");
      assertThat(f.rows("SELECT id, label FROM rules.j ORDER BY id"))
          .containsExactly("2|A", "10|A");
      byKey.assertMatchesQuery(f.conn);
      joined.assertMatchesQuery(f.conn);
    }
  }

  @ParameterizedTest(name = "PostgreSQL {0}")
  @FieldSource("MAJORS")
  void bothJoinSidesChangingInOneBatchCountOnce(int major) throws SQLException {
    try (RuleFixture f =
        new RuleFixture(
            major, ITEMS, "CREATE TABLE rules.groups (grp text PRIMARY KEY, label text)")) {
      f.write("INSERT INTO rules.groups VALUES ('a', 'A')");
      TestStreamTable joined =
          f.streamTable(
              "j", "SELECT i.id, g.label FROM rules.items i JOIN rules.groups g ON g.grp = i.grp");
      TestStreamTable counted =
          f.streamTable(
              "c",
              "SELECT g.label, count(*) AS n FROM rules.items i JOIN rules.groups g ON g.grp = i.grp GROUP BY g.label");
      f.write(
          "INSERT INTO rules.items VALUES (1, 'b', 1, 1, 1)",
          "INSERT INTO rules.groups VALUES ('b', 'B')",
          "UPDATE rules.groups SET label = 'AA' WHERE grp = 'a'",
          "INSERT INTO rules.items VALUES (2, 'a', 1, 1, 1)");
      joined.refresh(f.conn);
      counted.refresh(f.conn);
      assertThat(f.rows("SELECT id, label FROM rules.j ORDER BY id"))
          .containsExactly("1|B", "2|AA");
      assertThat(f.rows("SELECT label, n FROM rules.c ORDER BY label"))
          .containsExactly("AA|1", "B|1");
      joined.assertMatchesQuery(f.conn);
      counted.assertMatchesQuery(f.conn);
    }
  }

  @ParameterizedTest(name = "PostgreSQL {0}")
  @FieldSource("MAJORS")
  void leftJoinPaddingComesAndGoes(int major) throws SQLException {
    try (RuleFixture f =
        new RuleFixture(
            major, ITEMS, "CREATE TABLE rules.groups (grp text PRIMARY KEY, label text)")) {
      f.write("INSERT INTO rules.items VALUES (1, 'a', 1, 1, 1), (2, NULL, 1, 1, 1)");
      TestStreamTable st =
          f.streamTable(
              "l",
              "SELECT i.id, g.label FROM rules.items i LEFT JOIN rules.groups g ON g.grp = i.grp");
      assertThat(f.rows("SELECT id, label FROM rules.l ORDER BY id"))
          .containsExactly("1|null", "2|null");
      f.write("INSERT INTO rules.groups VALUES ('a', 'A')");
      st.refresh(f.conn);
      assertThat(f.rows("SELECT id, label FROM rules.l ORDER BY id"))
          .containsExactly("1|A", "2|null");
      f.write("DELETE FROM rules.groups");
      st.refresh(f.conn);
      assertThat(f.rows("SELECT id, label FROM rules.l ORDER BY id"))
          .containsExactly("1|null", "2|null");
      st.assertMatchesQuery(f.conn);
    }
  }

  @ParameterizedTest(name = "PostgreSQL {0}")
  @FieldSource("MAJORS")
  void filterFlipsEnterAndLeave(int major) throws SQLException {
    try (RuleFixture f = new RuleFixture(major, ITEMS)) {
      f.write("INSERT INTO rules.items VALUES (1, 'g', 1, 1, 1), (2, 'g', 9, 1, 1)");
      TestStreamTable st =
          f.streamTable(
              "t",
              "SELECT id, CASE WHEN qty > 5 THEN 'big' ELSE 'small' END AS size FROM rules.items WHERE qty > 0");
      f.write(
          "UPDATE rules.items SET qty = 10 WHERE id = 1",
          "UPDATE rules.items SET qty = 0 WHERE id = 2");
      st.refresh(f.conn);
      assertThat(f.rows("SELECT id, size FROM rules.t")).containsExactly("1|big");
      st.assertMatchesQuery(f.conn);
    }
  }

  @ParameterizedTest(name = "PostgreSQL {0}")
  @FieldSource("MAJORS")
  void keylessTablesCountDuplicates(int major) throws SQLException {
    try (RuleFixture f = new RuleFixture(major, "CREATE TABLE rules.log (k int, v text)")) {
      f.write("INSERT INTO rules.log VALUES (1, 'a'), (1, 'a'), (1, 'a'), (2, NULL)");
      TestStreamTable st = f.streamTable("t", "SELECT k, v FROM rules.log");
      f.write("DELETE FROM rules.log WHERE ctid = (SELECT min(ctid) FROM rules.log WHERE k = 1)");
      f.write(
          "UPDATE rules.log SET v = 'b' WHERE ctid = (SELECT min(ctid) FROM rules.log WHERE k = 1)");
      st.refresh(f.conn);
      assertThat(f.rows("SELECT k, v FROM rules.t ORDER BY 1, 2"))
          .containsExactly("1|a", "1|b", "2|null");
      st.assertMatchesQuery(f.conn);
    }
  }

  @ParameterizedTest(name = "PostgreSQL {0}")
  @FieldSource("MAJORS")
  void minMaxRecomputeOnlyAffectedGroups(int major) throws SQLException {
    try (RuleFixture f = new RuleFixture(major, ITEMS)) {
      f.write(
          "INSERT INTO rules.items VALUES (1, 'a', 1, 1, 1), (2, 'a', 5, 1, 1), (3, 'b', 7, 1, 1)");
      TestStreamTable st =
          f.streamTable(
              "t", "SELECT grp, min(qty) AS lo, max(qty) AS hi FROM rules.items GROUP BY grp");
      String untouched = f.rows("SELECT xmin::text FROM rules.t WHERE grp = 'b'").get(0);
      f.write("DELETE FROM rules.items WHERE id = 1");
      st.refresh(f.conn);
      assertThat(f.rows("SELECT grp, lo, hi FROM rules.t ORDER BY grp"))
          .containsExactly("a|5|5", "b|7|7");
      assertThat(f.rows("SELECT xmin::text FROM rules.t WHERE grp = 'b'"))
          .containsExactly(untouched);
      st.assertMatchesQuery(f.conn);
    }
  }

  @ParameterizedTest(name = "PostgreSQL {0}")
  @FieldSource("MAJORS")
  void havingAddsAndRemovesGroups(int major) throws SQLException {
    try (RuleFixture f = new RuleFixture(major, ITEMS)) {
      f.write(
          "INSERT INTO rules.items VALUES (1, 'a', 1, 1, 1), (2, 'b', 5, 1, 1), (3, 'b', 7, 1, 1)");
      TestStreamTable st =
          f.streamTable(
              "t", "SELECT grp, count(*) AS n FROM rules.items GROUP BY grp HAVING count(*) > 1");
      f.write(
          "INSERT INTO rules.items VALUES (4, 'a', 1, 1, 1)",
          "DELETE FROM rules.items WHERE id = 3");
      st.refresh(f.conn);
      assertThat(f.rows("SELECT grp, n FROM rules.t")).containsExactly("a|2");
      st.assertMatchesQuery(f.conn);
    }
  }

  @ParameterizedTest(name = "PostgreSQL {0}")
  @FieldSource("MAJORS")
  void distinctUnionAllAndSubqueries(int major) throws SQLException {
    try (RuleFixture f =
        new RuleFixture(
            major, ITEMS, "CREATE TABLE rules.groups (grp text PRIMARY KEY, label text)")) {
      f.write(
          "INSERT INTO rules.items VALUES (1, 'a', 1, 1, 1), (2, 'a', 1, 1, 1), (3, 'b', 2, 1, 1)",
          "INSERT INTO rules.groups VALUES ('a', 'A'), ('b', 'B')");
      TestStreamTable d = f.streamTable("d", "SELECT DISTINCT grp FROM rules.items");
      TestStreamTable u =
          f.streamTable(
              "u", "SELECT grp AS x FROM rules.items UNION ALL SELECT label FROM rules.groups");
      TestStreamTable q =
          f.streamTable(
              "q",
              "SELECT g.label, s.total FROM (SELECT grp, sum(qty) AS total FROM rules.items GROUP BY grp) s"
                  + " JOIN rules.groups g ON g.grp = s.grp");
      f.write(
          "DELETE FROM rules.items WHERE id IN (1, 3)",
          "UPDATE rules.groups SET label = 'AA' WHERE grp = 'a'");
      for (TestStreamTable t : java.util.List.of(d, u, q)) {
        t.refresh(f.conn);
        t.assertMatchesQuery(f.conn);
      }
      assertThat(f.rows("SELECT grp FROM rules.d")).containsExactly("a");
      assertThat(f.rows("SELECT label, total FROM rules.q")).containsExactly("AA|1");
    }
  }

  /**
   * jsonb's {@code ?}, {@code ?|} and {@code ?&} (PgJDBC's placeholder character) in the select
   * list, WHERE and GROUP BY: the apply is prepared with them written {@code ??}.
   */
  @ParameterizedTest(name = "PostgreSQL {0}")
  @FieldSource("MAJORS")
  void questionMarkOperatorsReachTheDeltaUnchanged(int major) throws SQLException {
    try (RuleFixture f =
        new RuleFixture(major, "CREATE TABLE rules.docs (id int PRIMARY KEY, doc jsonb)")) {
      f.write("INSERT INTO rules.docs VALUES (1, '{\"vip\": 1, \"a\": 1}'), (2, '{\"b\": 1}')");
      TestStreamTable rows =
          f.streamTable(
              "r",
              "SELECT id, doc ?| array['a', 'b'] AS any_ab FROM rules.docs"
                  + " WHERE doc ? 'vip' OR doc->>'n' = '?'");
      TestStreamTable groups =
          f.streamTable(
              "g",
              "SELECT doc ?& array['a', 'b'] AS all_ab, count(*) AS n FROM rules.docs"
                  + " GROUP BY doc ?& array['a', 'b']");
      f.write(
          "INSERT INTO rules.docs VALUES (3, '{\"vip\": 1, \"a\": 1, \"b\": 1}'),"
              + " (4, '{\"n\": \"?\"}')",
          "UPDATE rules.docs SET doc = doc - 'vip' WHERE id = 1",
          "DELETE FROM rules.docs WHERE id = 2");
      assertThat(rows.refresh(f.conn)).isEqualTo("DIFFERENTIAL");
      assertThat(groups.refresh(f.conn)).isEqualTo("DIFFERENTIAL");
      assertThat(f.rows("SELECT id, any_ab FROM rules.r ORDER BY id"))
          .containsExactly("3|t", "4|f");
      assertThat(f.rows("SELECT all_ab, n FROM rules.g ORDER BY all_ab"))
          .containsExactly("f|2", "t|1");
      rows.assertMatchesQuery(f.conn);
      groups.assertMatchesQuery(f.conn);
    }
  }
}
