package io.pgtrickle.operator.streams;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.pgtrickle.changelog.support.PostgresServer;
import io.pgtrickle.operator.api.streams.StreamTableCluster;
import io.pgtrickle.operator.streams.spec.ChangeLogTarget;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@link DatabaseHolder} against a real PostgreSQL: who may record itself, and who may not. */
class DatabaseHolderIT {

  private static PostgresServer postgres;

  @BeforeAll
  static void start() throws Exception {
    postgres = PostgresServer.start();
    try (Connection c = DriverManager.getConnection(postgres.jdbcUrl());
        Statement s = c.createStatement()) {
      s.execute("CREATE ROLE pipeline LOGIN");
      s.execute("CREATE ROLE other_owner");
    }
  }

  @AfterAll
  static void stop() {
    postgres.close();
  }

  /**
   * The change log's schema made by another role: its pipeline's user cannot comment on it. The
   * round used to fail as DatabaseUnreachable ("must be owner of schema") and no consumer ran.
   */
  @Test
  void aUserThatDoesNotOwnTheSchemaRunsWithoutRecordingItself() throws Exception {
    try (Connection admin = DriverManager.getConnection(postgres.jdbcUrl());
        Statement s = admin.createStatement()) {
      s.execute("DROP SCHEMA IF EXISTS " + ChangeLogTarget.POSTGRES_SCHEMA + " CASCADE");
      s.execute("CREATE SCHEMA " + ChangeLogTarget.POSTGRES_SCHEMA + " AUTHORIZATION other_owner");
    }
    try (Connection c = DriverManager.getConnection(asPipeline())) {
      assertThat(DatabaseHolder.claim(c, stc("a-uid"), among(List.of()))).isEmpty();
      assertThat(DatabaseHolder.holderUid(c)).isEmpty();
    }
  }

  @Test
  void theOwnerRecordsItselfAndASecondPipelineIsRefused() throws Exception {
    try (Connection admin = DriverManager.getConnection(postgres.jdbcUrl());
        Statement s = admin.createStatement()) {
      s.execute("DROP SCHEMA IF EXISTS " + ChangeLogTarget.POSTGRES_SCHEMA + " CASCADE");
      s.execute("CREATE SCHEMA " + ChangeLogTarget.POSTGRES_SCHEMA + " AUTHORIZATION pipeline");
    }
    StreamTableCluster first = stc("first-uid");
    StreamTableCluster second = stc("second-uid");
    try (Connection c = DriverManager.getConnection(asPipeline())) {
      assertThat(DatabaseHolder.claim(c, first, among(List.of(first)))).isEmpty();
      assertThat(DatabaseHolder.holderUid(c)).contains("first-uid");
      assertThat(DatabaseHolder.claim(c, second, among(List.of(first, second))))
          .contains("held by p-first-uid");
      // The first one gone: the second takes the database over.
      assertThat(DatabaseHolder.claim(c, second, among(List.of(second)))).isEmpty();
      assertThat(DatabaseHolder.holderUid(c)).contains("second-uid");
    }
  }

  /** A lookup in {@code known} alone (the operator's cache; {@link LiveHolder} asks more). */
  private static DatabaseHolder.Lookup among(List<StreamTableCluster> known) {
    return recorded ->
        known.stream()
            .filter(o -> recorded.uid().equals(o.getMetadata().getUid()))
            .findFirst()
            .map(o -> "held by " + o.getMetadata().getName());
  }

  @Test
  void theRecordNamesTheHolder() {
    StreamTableCluster stc = stc("u-1");
    assertThat(DatabaseHolder.recordedIn(DatabaseHolder.comment(stc).replace("'", "")))
        .contains(new DatabaseHolder.Recorded("shop", "p-u-1", "u-1"));
    assertThat(DatabaseHolder.recordedIn("held by (uid u-2)"))
        .contains(new DatabaseHolder.Recorded(null, null, "u-2"));
    assertThat(DatabaseHolder.recordedIn("a comment of the user's")).isEmpty();
  }

  private static String asPipeline() {
    return postgres.jdbcUrl().replace("user=postgres", "user=pipeline");
  }

  private static StreamTableCluster stc(String uid) {
    StreamTableCluster stc = new StreamTableCluster();
    stc.setMetadata(
        new ObjectMetaBuilder().withNamespace("shop").withName("p-" + uid).withUid(uid).build());
    return stc;
  }
}
