package io.pgtrickle.worker.db;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.worker.catalog.CatalogMigrationException;
import java.sql.SQLException;
import org.junit.jupiter.api.Test;

class DatabaseRefusalTest {

  @Test
  void transientFailuresHaveNoFix() {
    for (String state : new String[] {"08001", "08006", "57P01", "57P03", "53300", "40001"}) {
      SQLException e = new SQLException("x", state);
      assertThat(DatabaseRefusal.fix(e, "w", "app")).isEmpty();
      assertThat((Object) DatabaseRefusal.onConnect(e, "w", "app")).isSameAs(e);
    }
    assertThat(DatabaseRefusal.fix(new IllegalStateException("no cause"), "w", "app")).isEmpty();
    SQLException noState = new SQLException("x");
    assertThat((Object) DatabaseRefusal.onConnect(noState, "w", "app")).isSameAs(noState);
  }

  @Test
  void permanentRefusalsNameTheSettingAndTheFixAlsoWhenWrapped() {
    assertThat(
            DatabaseRefusal.fix(
                new CatalogMigrationException(
                    "cannot install the pgtrickle catalog",
                    new RuntimeException(new SQLException("password failed", "28P01"))),
                "w",
                "app"))
        .hasValueSatisfying(
            m ->
                assertThat(m)
                    .startsWith("PGTRICKLE_DATABASE_PASSWORD (--database-password)")
                    .contains("ALTER ROLE w PASSWORD '...'"));
    assertThat(DatabaseRefusal.fix(new SQLException("no entry", "28000"), "w", "app"))
        .hasValueSatisfying(m -> assertThat(m).contains("pg_hba.conf for database app"));
    assertThat(DatabaseRefusal.fix(new SQLException("no db", "3D000"), "w", "My-Db"))
        .hasValueSatisfying(m -> assertThat(m).contains("CREATE DATABASE \"My-Db\""));
    assertThat(DatabaseRefusal.fix(new SQLException("denied", "42501"), "w", "app"))
        .hasValueSatisfying(
            m -> assertThat(m).contains("GRANT CONNECT, CREATE ON DATABASE app TO w"));
    SQLException connect =
        DatabaseRefusal.onConnect(new SQLException("denied", "42501"), "w", "app");
    assertThat(connect.getSQLState()).isEqualTo("42501");
    assertThat(connect.getMessage()).contains("GRANT CONNECT ON DATABASE app TO w");
  }

  @Test
  void theDatabaseIsTheUrlsPathOrTheUsersName() {
    assertThat(DatabaseRefusal.databaseOf("jdbc:postgresql://a:1,b:2/app?x=y", "w"))
        .isEqualTo("app");
    assertThat(DatabaseRefusal.databaseOf("jdbc:postgresql://a:1", "w")).isEqualTo("w");
  }
}
