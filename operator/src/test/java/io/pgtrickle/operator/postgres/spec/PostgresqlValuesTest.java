package io.pgtrickle.operator.postgres.spec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.pgtrickle.operator.postgres.spec.PostgresqlCatalog.Parameter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Values as PostgreSQL 16 parses them (the same corpus runs against the real binaries in
 * PostgresqlCatalogIT).
 */
class PostgresqlValuesTest {

  private static final PostgresqlCatalog PG16 = PostgresqlCatalog.of(16);

  private static Parameter p(String name) {
    return PG16.find(name).orElseThrow();
  }

  private static boolean ok(String name, String value) {
    return PostgresqlValues.problem(p(name), value).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"on", "off", "ON", "Off", "true", "FALSE", "yes", "No", "1", "0"})
  void booleansAsPostgresqlAndPatroniSpellThem(String value) {
    assertThat(ok("jit", value)).isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"t", "tr", "f", "y", "n", "of", "OF"})
  void prefixesPostgresqlTakesButPatroniDrops(String value) {
    assertThat(PostgresqlValues.parseBool(value)).isTrue();
    assertThat(PostgresqlValues.problem(p("jit"), value))
        .contains(
            "\""
                + value
                + "\" is a prefix PostgreSQL would take but Patroni drops; allowed: on, off, true,"
                + " false, yes, no, 1, 0 (any case)");
  }

  @ParameterizedTest
  @ValueSource(strings = {"o", "onn", "offf", "truee", "2", "10", "", " on", "enable", "yep"})
  void notBooleans(String value) {
    assertThat(PostgresqlValues.problem(p("jit"), value))
        .hasValueSatisfying(m -> assertThat(m).contains("is not a boolean").contains("on, off"));
  }

  @Test
  void enumsListWhatIsAllowedAndTakeHiddenSpellings() {
    assertThat(PostgresqlValues.problem(p("wal_level"), "bogus"))
        .contains("\"bogus\" is not one of minimal, replica, logical");
    assertThat(ok("wal_level", "LOGICAL")).isTrue();
    // An alias PostgreSQL hides and Patroni drops.
    assertThat(ok("wal_level", "hot_standby")).isFalse();
    assertThat(ok("synchronous_commit", "true")).isTrue();
    assertThat(ok("synchronous_commit", "remote_apply")).isTrue();
    assertThat(ok("synchronous_commit", "remote")).isFalse();
    assertThat(ok("ssl_max_protocol_version", "")).isTrue();
    assertThat(PostgresqlValues.problem(p("ssl_max_protocol_version"), "x"))
        .hasValueSatisfying(m -> assertThat(m).contains("one of \"\", TLSv1,"));
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "max_connections|200|true",
        "max_connections|lots|false",
        "max_connections|0|false",
        "max_connections|0x10|true",
        "max_connections|010|true",
        "max_connections|08|false",
        "max_connections|1e3|true",
        "max_connections|1.5|true",
        "max_connections|' 300 '|true",
        "max_connections|100MB|false",
        "max_connections|1e|false",
        "max_connections|2147483648|false",
        "max_connections|inf|false",
        "max_connections|nan|false",
        "shared_buffers|1GB|true",
        "shared_buffers|1.5GB|true",
        "shared_buffers|128 MB|true",
        "shared_buffers|'128MB '|true",
        "shared_buffers|128mb|false",
        "shared_buffers|128MB x|false",
        "shared_buffers|128kB|true",
        "shared_buffers|127kB|true",
        "shared_buffers|120kB|false",
        "shared_buffers|64kB|false",
        "shared_buffers|16|true",
        "shared_buffers|15|false",
        "shared_buffers|10TB|false",
        "shared_buffers|1ms|false",
        "work_mem|64kB|true",
        "work_mem|63kB|false",
        "work_mem|1B|false",
        "work_mem|65536B|true",
        "wal_keep_size|1GB|true",
        "wal_keep_size|512kB|true",
        "checkpoint_timeout|30s|true",
        "checkpoint_timeout|29s|false",
        "checkpoint_timeout|29.6s|true",
        "checkpoint_timeout|1d|true",
        "checkpoint_timeout|2d|false",
        "checkpoint_timeout|0.5min|true",
        "checkpoint_timeout|1GB|false",
        "log_min_duration_statement|-1|true",
        "log_min_duration_statement|250ms|true",
        "log_min_duration_statement|100us|true",
        "log_min_duration_statement|1h|true",
        "log_rotation_age|1d|true",
        "log_rotation_age|30s|true",
        "vacuum_cost_delay|2ms|true",
        "vacuum_cost_delay|101|false",
        "vacuum_cost_delay|500us|true",
        "vacuum_cost_delay|0.1s|true",
        "vacuum_cost_delay|0.2s|false",
        "max_connections|.5e1|true",
        "max_connections|' .5e1'|false",
        "seq_page_cost|1.5|true",
        "seq_page_cost|-1|false",
        "seq_page_cost|1e308|true",
        "seq_page_cost|1e309|false",
        "seq_page_cost|cheap|false",
        "seq_page_cost|1ms|false",
        "search_path|'\"$user\", public'|true",
      })
  void numbersWithUnitsAndRanges(String name, String value, boolean accepted) {
    assertThat(ok(name, value)).as("%s = '%s'", name, value).isEqualTo(accepted);
  }

  @Test
  void messagesSayWhatIsAllowed() {
    assertThat(PostgresqlValues.problem(p("max_connections"), "lots"))
        .contains("\"lots\" is not an integer; allowed: an integer from 1 to 262143");
    assertThat(PostgresqlValues.problem(p("shared_buffers"), "64kB"))
        .contains(
            "\"64kB\" is 8 in units of 8kB, outside the range; allowed: an integer with a memory"
                + " unit (B, kB, MB, GB, TB) from 16 to 1073741823 (unit 8kB)");
    assertThat(PostgresqlValues.problem(p("checkpoint_timeout"), "10 sec"))
        .hasValueSatisfying(
            m ->
                assertThat(m)
                    .contains("has no valid unit")
                    .contains("a time unit (us, ms, s, min, h, d)"));
    assertThat(PostgresqlValues.problem(p("max_connections"), "9999999999"))
        .hasValueSatisfying(m -> assertThat(m).contains("exceeds the integer range"));
  }

  @Test
  void fractionsRoundToTheNextSmallerUnitThenToAnInteger() {
    // 0.5kB of an 8kB-block parameter: 0.0625 blocks, rounded to 512 B = 0.0625, then rint → 0.
    assertThat(PostgresqlValues.toBaseUnit(0.5, "kB", "8kB")).isEqualTo(0.0625);
    // 1.5 s in a minutes parameter: 0.025 min, kept to whole ms.
    assertThat(PostgresqlValues.toBaseUnit(1.5, "s", "min")).isCloseTo(0.025, within(1e-15));
    assertThat(PostgresqlValues.toBaseUnit(1, "GB", "8kB")).isEqualTo(131072.0);
    assertThat(PostgresqlValues.toBaseUnit(1, "gb", "8kB")).isNull();
    assertThat(PostgresqlValues.toBaseUnit(1, "GB ", "kB")).isEqualTo(1048576.0);
    assertThat(PostgresqlValues.toBaseUnit(1, "GBx", "kB")).isNull();
  }

  @Test
  void cLikeNumberReading() {
    assertThat(PostgresqlValues.strtol("  0x1F rest").value()).isEqualTo(31);
    assertThat(PostgresqlValues.strtol("017").value()).isEqualTo(15);
    assertThat(PostgresqlValues.strtol("0x").end()).isEqualTo(1);
    assertThat(PostgresqlValues.strtol("x").end()).isZero();
    assertThat(PostgresqlValues.strtol("99999999999999999999").overflow()).isTrue();
    assertThat(PostgresqlValues.strtod("1.5e3kB").end()).isEqualTo(5);
    assertThat(PostgresqlValues.strtod("0x1.8p1").value()).isEqualTo(3.0);
    assertThat(PostgresqlValues.strtod("1e-400").overflow()).isTrue();
    assertThat(PostgresqlValues.strtod("-Infinity").value()).isEqualTo(Double.NEGATIVE_INFINITY);
  }
}
