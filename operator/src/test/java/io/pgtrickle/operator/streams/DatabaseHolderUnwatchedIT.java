package io.pgtrickle.operator.streams;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.pgtrickle.changelog.support.PostgresServer;
import io.pgtrickle.operator.api.streams.StreamTableCluster;
import io.pgtrickle.operator.api.streams.StreamTableClusterPhase;
import io.pgtrickle.operator.streams.spec.ChangeLogTarget;
import io.pgtrickle.testbed.TestNamespace;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A database held by a StreamTableCluster in a namespace this operator does not watch (another
 * operator's, {@code WATCH_NAMESPACES}): the operator's cache does not have it, so it looked gone.
 * A pipeline in a watched namespace then took the database over beside the running one, and its
 * deletion dropped the change log the other one read. The holder is now read from the API server.
 * The operator watches only {@code NAMESPACE}; the holder lives in {@code ELSEWHERE}, reconciled by
 * nobody (it stands for another operator's pipeline, its record written here as that one would).
 */
class DatabaseHolderUnwatchedIT {

  @RegisterExtension static final TestNamespace NAMESPACE = new TestNamespace();
  @RegisterExtension static final TestNamespace ELSEWHERE = new TestNamespace();

  private static final Duration WAIT = Duration.ofSeconds(90);

  private static PipelineTestBed bed;
  private static PostgresServer postgres;

  @BeforeAll
  static void start() {
    bed = PipelineTestBed.start(NAMESPACE);
    postgres = bed.postgres();
  }

  @AfterAll
  static void stop() {
    if (bed != null) {
      bed.close();
    }
  }

  @Test
  void aHolderInAnUnwatchedNamespaceKeepsItsDatabaseUntilItIsGone() throws SQLException {
    StreamTableCluster holder = create(ELSEWHERE, "theirs");
    try (Connection c = DriverManager.getConnection(postgres.jdbcUrl());
        Statement s = c.createStatement()) {
      s.execute("CREATE SCHEMA " + ChangeLogTarget.POSTGRES_SCHEMA);
      s.execute(
          "COMMENT ON SCHEMA "
              + ChangeLogTarget.POSTGRES_SCHEMA
              + " IS "
              + DatabaseHolder.comment(holder));
    }

    create(NAMESPACE, "ours");
    StreamTableCluster refused =
        await("ours refused")
            .atMost(WAIT)
            .until(
                () -> get(NAMESPACE, "ours"),
                s ->
                    s.getStatus() != null
                        && s.getStatus().getPhase() == StreamTableClusterPhase.Failed);
    assertThat(refused.getStatus().getPhaseReason()).isEqualTo(DatabaseClaims.REASON);
    assertThat(refused.getStatus().getMessage())
        .contains("StreamTableCluster " + ELSEWHERE.name() + "/theirs");
    assertThat(holderUid()).contains(holder.getMetadata().getUid());

    // Its deletion leaves the holder's change log.
    client().resource(refused).delete();
    await("ours gone").atMost(WAIT).until(() -> get(NAMESPACE, "ours") == null);
    assertThat(schemaExists()).as("the holder's change log").isTrue();
    assertThat(holderUid()).contains(holder.getMetadata().getUid());

    // The holder deleted: the database is free.
    client().resource(holder).delete();
    await("theirs gone").atMost(WAIT).until(() -> get(ELSEWHERE, "theirs") == null);
    StreamTableCluster next = create(NAMESPACE, "next");
    await("next records itself")
        .atMost(WAIT)
        .until(() -> holderUid().equals(Optional.of(next.getMetadata().getUid())));
  }

  private static StreamTableCluster create(TestNamespace namespace, String name) {
    String yaml =
        "apiVersion: trickle-labs.io/v1alpha1\nkind: StreamTableCluster\nmetadata:\n  name: "
            + name
            + "\n  namespace: "
            + namespace.name()
            + "\nspec: {"
            + bed.postgresqlSpec()
            + ", workers: {min: 1, max: 1, autoscaler: none}}\n";
    return client().resource(Serialization.unmarshal(yaml, StreamTableCluster.class)).create();
  }

  private static StreamTableCluster get(TestNamespace namespace, String name) {
    return client()
        .resources(StreamTableCluster.class)
        .inNamespace(namespace.name())
        .withName(name)
        .get();
  }

  private static Optional<String> holderUid() throws SQLException {
    try (Connection c = DriverManager.getConnection(postgres.jdbcUrl())) {
      return DatabaseHolder.holderUid(c);
    }
  }

  private static boolean schemaExists() throws SQLException {
    try (Connection c = DriverManager.getConnection(postgres.jdbcUrl());
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT to_regnamespace('" + ChangeLogTarget.POSTGRES_SCHEMA + "') IS NOT NULL")) {
      rs.next();
      return rs.getBoolean(1);
    }
  }

  private static KubernetesClient client() {
    return NAMESPACE.client();
  }
}
