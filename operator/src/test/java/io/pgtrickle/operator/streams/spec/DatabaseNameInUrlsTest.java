package io.pgtrickle.operator.streams.spec;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.changelog.ChangeLogConfig;
import io.pgtrickle.operator.streams.db.DatabaseEndpoint;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.postgresql.Driver;
import org.postgresql.PGProperty;

/**
 * PostgreSQL allows nearly any database name; every URL the operator builds carries it
 * percent-encoded, so that PgJDBC (the programs' JDBC URLs, the operator's own connections) and
 * java.net.URI (the change-log URI) read back the same name. Written raw, {@code a+b} connected to
 * "a b", and {@code ?}, {@code #}, {@code %} or blanks broke the URL.
 */
class DatabaseNameInUrlsTest {

  private static String pgjdbcDatabase(String jdbcUrl) {
    return Driver.parseURL(jdbcUrl, null).getProperty(PGProperty.PG_DBNAME.getName());
  }

  private static String spec(String database) {
    return "{postgresql: {clusterRef: {name: db}, database: '"
        + database.replace("'", "''")
        + "'}, workers: {max: 2}}";
  }

  @ParameterizedTest(name = "database {0}")
  @ValueSource(
      strings = {
        "app", "a+b", "50%", "my db", "a#b", "a?b=c", "a/b", "a&b", "x;y", "Ünïcödé", "a%20b",
        "a'b\"c"
      })
  void theProgramsJdbcUrlNamesTheDatabase(String database) {
    PipelineSettings s = Pipelines.settings(spec(database));
    assertThat(pgjdbcDatabase(s.jdbcUrl())).isEqualTo(database);
  }

  @ParameterizedTest(name = "database {0}")
  @ValueSource(
      strings = {
        "app", "a+b", "50%", "my db", "a#b", "a?b=c", "a/b", "a&b", "x;y", "Ünïcödé", "a%20b",
        "a'b\"c"
      })
  void theOperatorsJdbcUrlNamesTheDatabase(String database) {
    var endpoint = new DatabaseEndpoint("db-primary", 5432, database, "u", "p");
    assertThat(pgjdbcDatabase(endpoint.jdbcUrl())).isEqualTo(database);
  }

  @ParameterizedTest(name = "database {0}")
  @ValueSource(
      strings = {
        "app", "a+b", "50%", "my db", "a#b", "a?b=c", "a/b", "a&b", "x;y", "Ünïcödé", "a%20b",
        "a'b\"c"
      })
  void theChangeLogUriNamesTheDatabase(String database) {
    ChangeLogTarget t = Pipelines.settings(spec(database)).changeLog();
    ChangeLogConfig config = ChangeLogConfig.parse(t.uri());
    assertThat(config.uri().getPath()).isEqualTo("/" + database);
    assertThat(config.param("schema", null)).isEqualTo(ChangeLogTarget.POSTGRES_SCHEMA);
  }
}
