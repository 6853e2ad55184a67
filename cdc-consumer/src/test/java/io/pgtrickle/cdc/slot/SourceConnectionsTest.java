package io.pgtrickle.cdc.slot;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SourceConnectionsTest {

  @Test
  void theUrlOfOneServerKeepsDatabaseAndOptions() {
    assertThat(
            SourceConnections.urlAt(
                "jdbc:postgresql://db-primary:5432/app?sslmode=require", "10.1.2.3", 5432))
        .isEqualTo("jdbc:postgresql://10.1.2.3:5432/app?sslmode=require");
    assertThat(
            SourceConnections.urlAt(
                "jdbc:postgresql://a:5432,b:5432/app?targetServerType=primary", "10.1.2.4", 5433))
        .isEqualTo("jdbc:postgresql://10.1.2.4:5433/app?targetServerType=primary");
    assertThat(SourceConnections.urlAt("jdbc:postgresql://db", "fd00::7", 5432))
        .isEqualTo("jdbc:postgresql://[fd00::7]:5432");
  }

  @Test
  void theDatabaseIsTheUrlsPathOrTheUsersName() {
    assertThat(SourceConnections.databaseOf("jdbc:postgresql://a:5432,b:5432/app?x=1", "cdc"))
        .isEqualTo("app");
    assertThat(SourceConnections.databaseOf("jdbc:postgresql://db/my%20db", "cdc"))
        .isEqualTo("my db");
    assertThat(SourceConnections.databaseOf("jdbc:postgresql://db:5432", "cdc")).isEqualTo("cdc");
    assertThat(SourceConnections.databaseOf("jdbc:postgresql://db/?x=1", "cdc")).isEqualTo("cdc");
  }
}
