package io.pgtrickle.cdc.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.pgtrickle.changelog.support.PostgresServer;
import io.pgtrickle.operator.api.streams.StreamTableCluster;
import io.pgtrickle.operator.api.streams.StreamTableClusterPhase;
import io.pgtrickle.operator.testbed.OperatorRunner;
import io.pgtrickle.operator.testbed.ProgramPods;
import io.pgtrickle.operator.testbed.TestNamespace;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A StreamTableCluster whose CDC pods run the real cdc-consumer (the test bed's {@link
 * ProgramPods}, with the pod's environment, Secret and probes): the operator's pod spec is what
 * starts it. The consumer follows the catalog ({@code pgtrickle.pgt_change_tracking}, rows made
 * here as the SQL front door would), claims the table under the pipeline's slot, and its changes
 * reach the PostgreSQL-tables change log the operator created; its /readyz makes the pod Ready and
 * the pipeline Running. Scaling to 2 consumers and back runs the real decommission (the second slot
 * dropped); deleting the resource stops the consumer, drops its slot and the change log, and leaves
 * the catalog. (The worker pods are kwok's: the worker program is not part of this test.)
 */
class StreamTableClusterCdcIT {

  @RegisterExtension static final TestNamespace NAMESPACE = new TestNamespace();

  private static final Duration WAIT = Duration.ofSeconds(120);
  private static PostgresServer postgres;
  private static OperatorRunner operator;
  private static ProgramPods programs;

  @BeforeAll
  static void start() throws SQLException {
    postgres = PostgresServer.start(PostgresServer.defaultBin(), "-c wal_level=logical");
    try (Connection c = db();
        Statement s = c.createStatement()) {
      s.execute("CREATE TABLE orders (id bigint PRIMARY KEY, amount numeric NOT NULL)");
      s.execute("ALTER TABLE orders REPLICA IDENTITY FULL");
      s.execute("CREATE SCHEMA pgtrickle");
      s.execute(
          "CREATE TABLE pgtrickle.pgt_change_tracking (source_relid regclass PRIMARY KEY,"
              + " slot_name text, captured_since_lsn pg_lsn, ingested_lsn pg_lsn,"
              + " tracked_by_pgt_ids bigint[])");
      s.execute("INSERT INTO pgtrickle.pgt_change_tracking (source_relid) VALUES ('orders')");
    }
    client()
        .secrets()
        .inNamespace(NAMESPACE.name())
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName("pg")
                .endMetadata()
                .withStringData(Map.of("username", "postgres", "password", "trust"))
                .build())
        .create();
    String java = ProcessHandle.current().info().command().orElse("java");
    String classpath = System.getProperty("java.class.path");
    programs =
        new ProgramPods(
            NAMESPACE.testBed(),
            NAMESPACE.name(),
            Map.of(
                "cdc-consumer",
                container -> List.of(java, "-cp", classpath, "io.pgtrickle.cdc.CdcConsumerMain")));
    operator = OperatorRunner.start(NAMESPACE.testBed(), NAMESPACE.name());
  }

  @AfterAll
  static void stop() {
    if (operator != null) {
      operator.close();
    }
    if (programs != null) {
      programs.close();
    }
    if (postgres != null) {
      postgres.close();
    }
  }

  @Test
  void theRealConsumerRunsBehindThePodsAndGoesWithTheResource() throws Exception {
    String yaml =
        "apiVersion: trickle-labs.io/v1alpha1\nkind: StreamTableCluster\nmetadata:\n  name: shop\n"
            + "  namespace: "
            + NAMESPACE.name()
            + "\nspec:\n  postgresql: {host: 127.0.0.1, port: "
            + postgres.port()
            + ", database: postgres, secretRef: {name: pg}}\n  workers: {max: 2, autoscaler:"
            + " none}\n";
    client()
        .resource(client().getKubernetesSerialization().unmarshal(yaml, StreamTableCluster.class))
        .create();

    await("the consumer claimed orders")
        .atMost(WAIT)
        .until(
            () ->
                scalar(
                    "SELECT slot_name || ' ' || (captured_since_lsn IS NOT NULL) FROM pgtrickle.pgt_change_tracking"),
            v -> "pgtrickle_shop_0 true".equals(v));
    try (Connection c = db();
        Statement s = c.createStatement()) {
      s.execute("INSERT INTO orders SELECT g, g * 1.5 FROM generate_series(1, 100) g");
      s.execute("UPDATE orders SET amount = amount + 1 WHERE id <= 10");
    }
    // Every change of orders, once; what else the log holds is printed if this fails.
    await("the 110 changes of orders in the change log")
        .atMost(WAIT)
        .until(
            () ->
                scalar(
                    "SELECT string_agg(s || ':' || a || '=' || n, ',' ORDER BY s, a) FROM (SELECT"
                        + " (source_oid = 'orders'::regclass::oid) AS s, payload::json->>'action'"
                        + " AS a, count(*) AS n FROM pgtrickle_changelog.events GROUP BY 1, 2) x"),
            v -> v != null && v.contains("true:INSERT=100,true:UPDATE=10"));
    await("Running on the real readiness")
        .atMost(WAIT)
        .until(
            this::current,
            s ->
                s.getStatus() != null
                    && s.getStatus().getPhase() == StreamTableClusterPhase.Running);
    assertThat(Files.readString(programs.log("shop-cdc-0"))).doesNotContain("trust");

    // Two consumers, then back to one: the second one's slot is dropped by the real decommission.
    scaleCdc(2);
    await("slot 1 created")
        .atMost(WAIT)
        .until(
            () ->
                scalar(
                    "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'pgtrickle_shop_1'"),
            v -> "1".equals(v));
    scaleCdc(1);
    await("slot 1 dropped")
        .atMost(WAIT)
        .until(
            () ->
                scalar(
                    "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'pgtrickle_shop_1'"),
            v -> "0".equals(v));
    await("decommission done")
        .atMost(WAIT)
        .until(this::current, s -> Integer.valueOf(1).equals(s.getStatus().getSlotOrdinals()));
    assertThat(
            scalar(
                "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'pgtrickle_shop_0'"))
        .isEqualTo("1");

    client()
        .resources(StreamTableCluster.class)
        .inNamespace(NAMESPACE.name())
        .withName("shop")
        .delete();
    await("deleted").atMost(WAIT).until(() -> current() == null);
    assertThat(scalar("SELECT count(*) FROM pg_replication_slots")).isEqualTo("0");
    assertThat(scalar("SELECT count(*) FROM pg_namespace WHERE nspname = 'pgtrickle_changelog'"))
        .isEqualTo("0");
    assertThat(scalar("SELECT count(*) FROM pgtrickle.pgt_change_tracking")).isEqualTo("1");
    List<Pod> pods =
        client()
            .pods()
            .inNamespace(NAMESPACE.name())
            .withLabel("trickle-labs.io/stream-table-cluster", "shop")
            .list()
            .getItems();
    await("pods gone")
        .atMost(WAIT)
        .until(
            () ->
                client()
                    .pods()
                    .inNamespace(NAMESPACE.name())
                    .withLabel("app.kubernetes.io/component", "cdc-consumer")
                    .list()
                    .getItems()
                    .isEmpty());
    assertThat(pods).isNotNull();
  }

  private void scaleCdc(int replicas) {
    client()
        .resources(StreamTableCluster.class)
        .inNamespace(NAMESPACE.name())
        .withName("shop")
        .edit(
            s -> {
              if (s.getSpec().getCdc() == null) {
                s.getSpec().setCdc(new io.pgtrickle.operator.api.streams.CdcSpec());
              }
              s.getSpec().getCdc().setReplicas(replicas);
              return s;
            });
  }

  private StreamTableCluster current() {
    return client()
        .resources(StreamTableCluster.class)
        .inNamespace(NAMESPACE.name())
        .withName("shop")
        .get();
  }

  private static String scalar(String sql) {
    try (Connection c = db();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      return rs.next() ? rs.getString(1) : null;
    } catch (SQLException e) {
      return "error: " + e.getMessage();
    }
  }

  private static Connection db() throws SQLException {
    return DriverManager.getConnection(postgres.jdbcUrl());
  }

  private static KubernetesClient client() {
    return NAMESPACE.client();
  }
}
