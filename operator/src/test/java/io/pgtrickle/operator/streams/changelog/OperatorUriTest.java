package io.pgtrickle.operator.streams.changelog;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.changelog.ChangeLogConfig;
import io.pgtrickle.operator.api.streams.CdcSpec.LogBackend;
import io.pgtrickle.operator.streams.db.DatabaseEndpoint;
import io.pgtrickle.operator.streams.spec.ChangeLogTarget;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The PostgreSQL change-log URI the operator opens names the pipeline's database exactly. */
class OperatorUriTest {

  @ParameterizedTest(name = "database {0}")
  @ValueSource(strings = {"app", "a+b", "50%", "my db", "a#b", "a?b=c", "a/b", "a&b", "Ünï"})
  void namesTheDatabaseWhateverItHolds(String database) {
    var target =
        new ChangeLogTarget(
            LogBackend.POSTGRES, null, null, 0, null, null, null, 0, "db", 5432, database);
    var uri =
        ChangeLogLifecycle.operatorUri(
            target, new DatabaseEndpoint("10.0.0.7", 5432, database, "owner", "p&w"));
    ChangeLogConfig config = ChangeLogConfig.parse(uri);
    assertThat(config.uri().getPath()).isEqualTo("/" + database);
    assertThat(config.param("user", null)).isEqualTo("owner");
    assertThat(config.param("password", null)).isEqualTo("p&w");
  }
}
