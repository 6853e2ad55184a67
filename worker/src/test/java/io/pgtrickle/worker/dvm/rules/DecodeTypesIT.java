package io.pgtrickle.worker.dvm.rules;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.worker.dvm.support.TestStreamTable;
import java.sql.SQLException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/**
 * Change images decode into the source's values for every kind of column: built-in scalars read as
 * {@code (image ->> 'col')::type} (with type modifiers, special values, quotes, double quotes and
 * backslashes in column names) and the others (arrays, jsonb, enums) through {@code
 * jsonb_to_record}; after each differential refresh the stream table equals its query.
 */
class DecodeTypesIT {

  static final java.util.List<Integer> MAJORS =
      io.pgtrickle.worker.dvm.support.PgServers.RULE_MAJORS;

  @ParameterizedTest(name = "PostgreSQL {0}")
  @FieldSource("MAJORS")
  void everyColumnKindDecodesAsStored(int major) throws SQLException {
    try (RuleFixture f =
        new RuleFixture(
            major,
            "CREATE TYPE rules.mood AS ENUM ('sad', 'ok', 'happy')",
            "CREATE TABLE rules.typed (id int PRIMARY KEY, \"q\"\"t\" text, \"it's\" text,"
                + " \"a\\b\" numeric(10,2),"
                + " \"Amount\" bigint, flag boolean, ts timestamptz, d date, iv interval, u uuid,"
                + " b bytea, f float8, r real, c char(3), v varchar(5), tm time, s smallint,"
                + " tags int[], doc jsonb, mood rules.mood)")) {
      f.write(
          "INSERT INTO rules.typed VALUES (1, 'v1', 'a''b\\c\"é', 3.14159, 9223372036854775807,"
              + " true,"
              + " '2020-06-01 12:00+05', '2024-02-29', '1 year -3 days 04:05:06',"
              + " 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '\\x00ff', 'NaN', 1.5e-7, 'ab', 'xyz ',"
              + " '23:59:59.999999', -32768, '{1,NULL,3}', '{\"k\": [1, \"x\"]}', 'happy')",
          "INSERT INTO rules.typed (id) VALUES (2)",
          "INSERT INTO rules.typed VALUES (3, '', '', -0.005, 0, false, 'infinity', '-infinity',"
              + " '0', NULL, '\\x', '-Infinity', -0.0, '   ', '', '00:00', 0, '{}', 'null', 'sad')");
      TestStreamTable st = f.streamTable("t", "SELECT * FROM rules.typed");
      f.write(
          "UPDATE rules.typed SET \"it's\" = \"it's\" || '\\', \"a\\b\" = \"a\\b\" + 0.015,"
              + " f = 1.0000000000000002, tags = tags || 4, doc = '\"s\"', mood = 'ok',"
              + " \"q\"\"t\" = \"q\"\"t\" || '\"'"
              + " WHERE id IN (1, 3)",
          "DELETE FROM rules.typed WHERE id = 2",
          "INSERT INTO rules.typed (id, \"it's\", ts, iv, r) VALUES (4, 'new', '2001-02-03 04:05:06.789+00',"
              + " '-1 mons', 'Infinity')");
      assertThat(st.refresh(f.conn)).isEqualTo("DIFFERENTIAL");
      st.assertMatchesQuery(f.conn);
      assertThat(
              f.rows(
                  "SELECT \"it's\", \"a\\b\"::text, mood::text, \"q\"\"t\" FROM rules.t"
                      + " ORDER BY id"))
          .containsExactly("a'b\\c\"é\\|3.16|ok|v1\"", "\\|0.01|ok|\"", "new|null|null|null");
    }
  }
}
