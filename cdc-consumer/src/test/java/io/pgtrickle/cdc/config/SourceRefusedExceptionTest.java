package io.pgtrickle.cdc.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.SQLException;
import org.junit.jupiter.api.Test;

class SourceRefusedExceptionTest {

  private static SQLException error(String state, String message) {
    return new SQLException(message, state);
  }

  @Test
  void transientErrorsAreLeftAsTheyAre() {
    for (String state : new String[] {"08001", "08006", "57P01", "57P03", "53300", null}) {
      SQLException e = error(state, "x");
      assertThat((Object) SourceRefusedException.onConnect(e, "cdc", "app", true)).isSameAs(e);
      assertThat((Object) SourceRefusedException.onReplicationSlot(e, "cdc")).isSameAs(e);
      assertThat((Object) SourceRefusedException.onCreatePublication(e, "cdc", "app", "p"))
          .isSameAs(e);
      assertThat((Object) SourceRefusedException.onAddTable(e, "cdc", "public.t", "app"))
          .isSameAs(e);
      assertThat(
              (Object) SourceRefusedException.onCatalog(e, "cdc", "pgtrickle.pgt_change_tracking"))
          .isSameAs(e);
    }
    // Outside a replication connection 42501 at connect is not the REPLICATION attribute.
    SQLException denied = error("42501", "permission denied for database app");
    assertThat((Object) SourceRefusedException.onConnect(denied, "cdc", "app", false))
        .isSameAs(denied);
  }

  @Test
  void eachPermanentRefusalNamesTheSettingAndTheFix() {
    assertThat(
            SourceRefusedException.onConnect(
                    error("28P01", "password authentication failed for user \"cdc\""),
                    "cdc",
                    "app",
                    false)
                .getMessage())
        .startsWith("PGTRICKLE_SOURCE_PASSWORD (--source-password)")
        .contains("ALTER ROLE cdc PASSWORD '...'");
    assertThat(
            SourceRefusedException.onConnect(
                    error("28000", "no pg_hba.conf entry"), "cdc", "app", true)
                .getMessage())
        .startsWith("PGTRICKLE_SOURCE_USER (--source-user)")
        .contains("a replication connection of user cdc to database app")
        .contains("pg_hba.conf");
    assertThat(
            SourceRefusedException.onConnect(error("3D000", "no db"), "cdc", "App", false)
                .getMessage())
        .startsWith("PGTRICKLE_SOURCE_URL (--source-url)")
        .contains("CREATE DATABASE \"App\"");
    SQLException noRepl =
        SourceRefusedException.onConnect(error("42501", "must be superuser"), "cdc", "app", true);
    assertThat((Object) noRepl).isInstanceOf(SourceRefusedException.class);
    assertThat(noRepl.getSQLState()).isEqualTo("42501");
    assertThat(noRepl.getMessage()).contains("ALTER ROLE cdc REPLICATION");
    assertThat(
            SourceRefusedException.onCreatePublication(
                    error("42501", "permission denied for database app"), "cdc", "app", "p")
                .getMessage())
        .contains("GRANT CREATE ON DATABASE app TO cdc");
    assertThat(
            SourceRefusedException.onAddTable(
                    error("42501", "must be owner of table t"), "cdc", "public.t", "app")
                .getMessage())
        .contains("owned by app")
        .contains("GRANT app TO cdc, or ALTER TABLE public.t OWNER TO cdc");
    assertThat(
            SourceRefusedException.onCatalog(
                    error("42501", "permission denied"), "cdc", "pgtrickle.pgt_change_tracking")
                .getMessage())
        .contains("GRANT USAGE ON SCHEMA pgtrickle TO cdc")
        .contains("GRANT SELECT, UPDATE ON pgtrickle.pgt_change_tracking TO cdc");
  }

  @Test
  void identifiersAreQuotedWhenTheyMustBe() {
    assertThat(SourceRefusedException.ident("cdc_1")).isEqualTo("cdc_1");
    assertThat(SourceRefusedException.ident("Cdc")).isEqualTo("\"Cdc\"");
    assertThat(SourceRefusedException.ident("a\"b")).isEqualTo("\"a\"\"b\"");
  }
}
