package io.pgtrickle.worker.dvm.rules;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.worker.dvm.support.TestStreamTable;
import io.pgtrickle.worker.refresh.RowCounts;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/**
 * The apply statement's counts of storage rows inserted, updated and deleted, on every major (14:
 * data-modifying CTEs; 15 and 16: MERGE between two reads of the transaction statistics; 17 and 18:
 * MERGE returning {@code merge_action()}), for a keyed table, an aggregate and a table without a
 * key. One batch: 3 inserts, 2 updates, 1 delete, and a row inserted and deleted in the window.
 */
class ApplyCountsIT {

  static final List<Integer> MAJORS = List.of(14, 15, 16, 17, 18);

  private static final String[] TABLES = {
    "CREATE TABLE rules.items (id int PRIMARY KEY, grp int, v int)",
    "CREATE TABLE rules.events (k int, v int)"
  };

  private static final String[] BATCH = {
    "INSERT INTO rules.items VALUES (11, 11, 11), (12, 12, 12), (13, 13, 13)",
    "UPDATE rules.items SET v = v + 100 WHERE id IN (1, 2)",
    "DELETE FROM rules.items WHERE id = 3",
    "INSERT INTO rules.items VALUES (14, 14, 14)",
    "DELETE FROM rules.items WHERE id = 14",
    "UPDATE rules.items SET v = v WHERE id = 5" // matched, nothing differs: not an update
  };

  @ParameterizedTest(name = "PostgreSQL {0}")
  @FieldSource("MAJORS")
  void keyedAggregateAndKeylessApplyCountExactly(int major) throws SQLException {
    try (RuleFixture f = new RuleFixture(major, TABLES)) {
      f.write(
          "INSERT INTO rules.items SELECT g, g, g FROM generate_series(1, 10) g",
          "INSERT INTO rules.events VALUES (1, 1), (2, 2), (3, 3)");
      TestStreamTable rows = f.streamTable("st_rows", "SELECT id, grp, v FROM rules.items");
      TestStreamTable groups =
          f.streamTable(
              "st_groups",
              "SELECT grp, sum(v) AS total, count(*) AS n FROM rules.items GROUP BY grp");
      TestStreamTable events = f.streamTable("st_events", "SELECT k, v FROM rules.events");
      f.write(BATCH);
      f.write(
          "INSERT INTO rules.events VALUES (4, 4), (4, 4)",
          "UPDATE rules.events SET v = 9 WHERE k = 2",
          "DELETE FROM rules.events WHERE k = 3",
          "INSERT INTO rules.events VALUES (5, 5)",
          "DELETE FROM rules.events WHERE k = 5");
      for (TestStreamTable st : List.of(rows, groups, events)) {
        assertThat(st.refresh(f.conn)).isEqualTo("DIFFERENTIAL");
        st.assertMatchesQuery(f.conn);
      }
      assertThat(rows.lastCounts()).isEqualTo(new RowCounts(3, 2, 1));
      // Groups 11-13 new, 1 and 2 changed, 3 gone, 14 never stored, 5 rewritten unchanged
      // (an aggregate's matched group is updated: its count is stored again).
      assertThat(groups.lastCounts()).isEqualTo(new RowCounts(3, 3, 1));
      // No key: 2 copies and the update's new image inserted; its old image and 3 deleted.
      assertThat(events.lastCounts()).isEqualTo(new RowCounts(3, 0, 2));
      assertThat(rows.plan().countsFromStatistics()).isEqualTo(major == 15 || major == 16);
      assertThat(events.plan().countsFromStatistics()).isFalse();
    }
  }

  /** Without {@code track_counts} a MERGE on 15 and 16 cannot be counted: UNKNOWN, not a guess. */
  @ParameterizedTest(name = "PostgreSQL {0}")
  @FieldSource("MAJORS")
  void withoutTrackCountsOnlyMergeWithoutReturningIsUnknown(int major) throws SQLException {
    try (RuleFixture f = new RuleFixture(major, TABLES)) {
      f.write("INSERT INTO rules.items SELECT g, g, g FROM generate_series(1, 10) g");
      TestStreamTable rows = f.streamTable("st_rows", "SELECT id, grp, v FROM rules.items");
      f.write(BATCH);
      try (Statement s = f.conn.createStatement()) {
        s.execute("SET track_counts = off");
      }
      try {
        assertThat(rows.refresh(f.conn)).isEqualTo("DIFFERENTIAL");
      } finally {
        try (Statement s = f.conn.createStatement()) {
          s.execute("RESET track_counts");
        }
      }
      rows.assertMatchesQuery(f.conn);
      assertThat(rows.lastCounts())
          .isEqualTo(major == 15 || major == 16 ? RowCounts.UNKNOWN : new RowCounts(3, 2, 1));
    }
  }
}
