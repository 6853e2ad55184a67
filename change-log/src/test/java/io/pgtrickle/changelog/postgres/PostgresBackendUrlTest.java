package io.pgtrickle.changelog.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.changelog.ChangeLogConfig;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.postgresql.Driver;
import org.postgresql.PGProperty;

/**
 * The database of a {@code postgresql://} change-log URI reaches PgJDBC as written: the URI's path
 * is percent-decoded once and encoded again for PgJDBC, which form-decodes it ({@code +} is a blank
 * there). Passed on raw, {@code a%2Bb} connected to "a b".
 */
class PostgresBackendUrlTest {

  @ParameterizedTest(name = "{0} names database {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "postgresql://h:5433/app?schema=s | app",
        "postgresql://h/a+b | a+b",
        "postgresql://h/a%2Bb%20c | a+b c",
        "postgresql://h/50%25 | 50%",
        "postgresql://h/a%23b%3Fc%2Fd%26e | a#b?c/d&e",
        "postgresql://h/%C3%9Cn%C3%AF | Ünï",
        "postgresql://h | postgres"
      })
  void pgjdbcConnectsToTheDatabaseOfTheUri(String uri, String database) {
    String jdbcUrl = PgConnectionSettings.jdbcUrl(ChangeLogConfig.parse(uri));
    assertThat(Driver.parseURL(jdbcUrl, null).getProperty(PGProperty.PG_DBNAME.getName()))
        .isEqualTo(database);
  }
}
