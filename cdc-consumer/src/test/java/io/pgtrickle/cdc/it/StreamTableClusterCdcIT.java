package io.pgtrickle.cdc.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.pgtrickle.changelog.ChangeEvent;
import io.pgtrickle.changelog.ChangeLogBackend;
import io.pgtrickle.changelog.ChangeLogBackends;
import io.pgtrickle.changelog.Lsn;
import io.pgtrickle.changelog.support.NatsServer;
import io.pgtrickle.changelog.support.PostgresServer;
import io.pgtrickle.operator.api.streams.StreamTableCluster;
import io.pgtrickle.operator.api.streams.StreamTableClusterPhase;
import io.pgtrickle.operator.testbed.OperatorRunner;
import io.pgtrickle.testbed.Launchers;
import io.pgtrickle.testbed.OtelCollector;
import io.pgtrickle.testbed.ProgramPods;
import io.pgtrickle.testbed.TestNamespace;
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
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A StreamTableCluster whose CDC pods run the real cdc-consumer (the test bed's {@link
 * ProgramPods}, with the pod's environment, Secret and probes): the operator's pod spec is what
 * starts it. The consumer follows the catalog ({@code pgtrickle.pgt_change_tracking}, rows made
 * here as the SQL front door would), claims the table under the pipeline's slot, and its changes
 * reach the PostgreSQL-tables change log the operator created; its /readyz makes the pod Ready and
 * the pipeline Running. Scaling to 2 consumers and back runs the real decommission (the second slot
 * dropped); deleting the resource stops the consumer, drops its slot and the change log, and leaves
 * the catalog. With {@code monitoring.otlp} the consumer exports its spans and metrics to a real
 * OpenTelemetry Collector ({@link OtelCollector}) under the pod's name. (The worker pods are
 * kwok's: the worker program is not part of this test.)
 */
class StreamTableClusterCdcIT {

  @RegisterExtension static final TestNamespace NAMESPACE = new TestNamespace();

  private static final Duration WAIT = Duration.ofSeconds(120);
  private static PostgresServer postgres;
  private static NatsServer natsServer;
  private String name;
  private static OperatorRunner operator;
  private static ProgramPods programs;
  private static OtelCollector collector;

  @BeforeAll
  static void start() throws SQLException {
    postgres = PostgresServer.start(PostgresServer.defaultBin(), "-c wal_level=logical");
    natsServer = NatsServer.start();
    collector =
        OtelCollector.start(
            NAMESPACE.testBed().repositoryRootPath().resolve("target/otelcol-" + NAMESPACE.name()));
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
    // The image's program: the packaged cdc-consumer.jar, as the image runs it. Only that one: the
    // reactor packages worker.jar after this module's tests, so worker pods stay kwok's (ready
    // without a program; the whole pipeline is e2e's StreamTableClusterPipelineIT).
    programs =
        new ProgramPods(
            NAMESPACE.testBed(),
            NAMESPACE.name(),
            Map.of(
                "cdc-consumer",
                Launchers.projectPrograms(NAMESPACE.testBed().repositoryRootPath())
                    .get("cdc-consumer")));
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
    if (natsServer != null) {
      natsServer.close();
    }
    if (collector != null) {
      collector.close();
    }
  }

  /** Reads the source's events from the NATS change log as a consumer of its own. */
  private static String natsChanges(String stream) throws Exception {
    long oid = Long.parseLong(scalar("SELECT 'orders'::regclass::oid"));
    java.util.Map<String, Integer> counts = new java.util.TreeMap<>();
    try (ChangeLogBackend log =
        ChangeLogBackends.open(
            "nats://127.0.0.1:" + natsServer.port() + "?stream=" + stream + "&consumer=it-check")) {
      long deadline = System.nanoTime() + WAIT.toNanos();
      int seen = 0;
      while (seen < 110 && System.nanoTime() < deadline) {
        for (ChangeEvent e : log.consume(oid, Lsn.ZERO).toCompletableFuture().get()) {
          if (e.action() != io.pgtrickle.changelog.ChangeAction.GAP) {
            counts.merge(e.action().name(), 1, Integer::sum);
            seen++;
          }
        }
      }
    }
    return counts.entrySet().stream()
        .map(e -> e.getKey() + "=" + e.getValue())
        .collect(java.util.stream.Collectors.joining(","));
  }

  @ParameterizedTest(name = "{0} change log")
  @ValueSource(strings = {"postgres", "nats"})
  void theRealConsumerRunsBehindThePodsAndGoesWithTheResource(String backend) throws Exception {
    name = "shop-" + backend;
    String slot = "pgtrickle_shop_" + backend + "_";
    boolean nats = backend.equals("nats");
    try (Connection c = db();
        Statement s = c.createStatement()) {
      s.execute("TRUNCATE orders"); // no slot exists now: nobody captures this
    }
    String yaml =
        "apiVersion: trickle-labs.io/v1alpha1\nkind: StreamTableCluster\nmetadata:\n  name: "
            + name
            + "\n  namespace: "
            + NAMESPACE.name()
            + "\nspec:\n  postgresql: {host: 127.0.0.1, port: "
            + postgres.port()
            + ", database: postgres, secretRef: {name: pg}}\n  workers: {max: 2, autoscaler:"
            + " none}\n"
            + "  monitoring: {otlp: {endpoint: '"
            + collector.grpcEndpoint().replace("http://", "")
            + "'}}\n"
            + (nats
                ? "  cdc: {logBackend: nats}\n  nats: {url: 'nats://127.0.0.1:"
                    + natsServer.port()
                    + "'}\n"
                : "");
    client()
        .resource(client().getKubernetesSerialization().unmarshal(yaml, StreamTableCluster.class))
        .create();

    await("the consumer claimed orders")
        .atMost(WAIT)
        .until(
            () ->
                scalar(
                    "SELECT slot_name || ' ' || (captured_since_lsn IS NOT NULL) FROM pgtrickle.pgt_change_tracking"),
            v -> (slot + "0 true").equals(v));
    try (Connection c = db();
        Statement s = c.createStatement()) {
      s.execute("INSERT INTO orders SELECT g, g * 1.5 FROM generate_series(1, 100) g");
      s.execute("UPDATE orders SET amount = amount + 1 WHERE id <= 10");
    }
    // Every change of orders, once (GAP markers aside: the consumer marks where its capture of a
    // table begins, so the workers start it with a full refresh).
    if (nats) {
      assertThat(natsChanges("pgtrickle-" + NAMESPACE.name() + "-" + name))
          .isEqualTo("INSERT=100,UPDATE=10");
    } else {
      await("the 110 changes of orders in the change log")
          .atMost(WAIT)
          .until(
              () ->
                  scalar(
                      "SELECT string_agg(a || '=' || n, ',' ORDER BY a) FROM (SELECT"
                          + " payload::json->>'action' AS a, count(*) AS n FROM"
                          + " pgtrickle_changelog.events WHERE source_oid ="
                          + " 'orders'::regclass::oid AND payload::json->>'action' <> 'GAP'"
                          + " GROUP BY 1) x"),
              v -> "INSERT=100,UPDATE=10".equals(v));
    }
    await("Running on the real readiness")
        .atMost(WAIT)
        .until(
            this::current,
            s ->
                s.getStatus() != null
                    && s.getStatus().getPhase() == StreamTableClusterPhase.Running);
    assertThat(Files.readString(programs.log(name + "-cdc-0"))).doesNotContain("trust");
    // monitoring.otlp: the consumer behind the pod exports its batches and metrics to the
    // collector, named by the variables the operator gave the pod (the pod's name through the
    // downward API).
    String pod = name + "-cdc-0";
    await("cdc.publish spans and pg_trickle_cdc_events over OTLP from " + pod)
        .atMost(WAIT)
        .until(
            () ->
                collector.spans().stream()
                        .anyMatch(
                            sp ->
                                sp.name().equals("cdc.publish")
                                    && pod.equals(sp.resource().get("k8s.pod.name"))
                                    && (name + "-cdc").equals(sp.resource().get("service.name"))
                                    && name.equals(
                                        sp.resource().get("pgtrickle.stream_table_cluster"))
                                    && Long.parseLong(
                                            sp.attributes()
                                                .getOrDefault("pgtrickle.cdc.events", "0"))
                                        > 0)
                    && collector.metrics().stream()
                        .anyMatch(
                            m ->
                                m.name().equals("pg_trickle_cdc_events")
                                    && pod.equals(m.resource().get("service.instance.id"))));

    // Two consumers, then back to one: the second one's slot is dropped by the real decommission.
    scaleCdc(2);
    await("slot 1 created")
        .atMost(WAIT)
        .until(
            () ->
                scalar(
                    "SELECT count(*) FROM pg_replication_slots WHERE slot_name = '" + slot + "1'"),
            v -> "1".equals(v));
    scaleCdc(1);
    await("slot 1 dropped")
        .atMost(WAIT)
        .until(
            () ->
                scalar(
                    "SELECT count(*) FROM pg_replication_slots WHERE slot_name = '" + slot + "1'"),
            v -> "0".equals(v));
    await("decommission done")
        .atMost(WAIT)
        .until(this::current, s -> Integer.valueOf(1).equals(s.getStatus().getSlotOrdinals()));
    assertThat(
            scalar("SELECT count(*) FROM pg_replication_slots WHERE slot_name = '" + slot + "0'"))
        .isEqualTo("1");

    client()
        .resources(StreamTableCluster.class)
        .inNamespace(NAMESPACE.name())
        .withName(name)
        .delete();
    await("deleted").atMost(WAIT).until(() -> current() == null);
    assertThat(scalar("SELECT count(*) FROM pg_replication_slots")).isEqualTo("0");
    assertThat(scalar("SELECT count(*) FROM pg_namespace WHERE nspname = 'pgtrickle_changelog'"))
        .isEqualTo("0");
    if (nats) {
      try (io.nats.client.Connection c =
          io.nats.client.Nats.connect("nats://127.0.0.1:" + natsServer.port())) {
        assertThat(c.jetStreamManagement().getStreamNames()).as("the NATS stream").isEmpty();
      }
    }
    // Released by the decommission program (on the test bed it may finish after its Job was
    // reported done: kwok completes Job pods at once).
    await("the catalog row released for the next pipeline")
        .atMost(WAIT)
        .until(
            () ->
                scalar(
                    "SELECT count(*) FROM pgtrickle.pgt_change_tracking WHERE slot_name IS NULL"),
            v -> "1".equals(v));
    assertThat(scalar("SELECT count(*) FROM pgtrickle.pgt_change_tracking")).isEqualTo("1");
    List<Pod> pods =
        client()
            .pods()
            .inNamespace(NAMESPACE.name())
            .withLabel("trickle-labs.io/stream-table-cluster", name)
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

  /** A failed run must not leave its pipeline claiming the catalog row for the next one. */
  @org.junit.jupiter.api.AfterEach
  void deletePipeline() {
    if (name != null && current() != null) {
      client()
          .resources(StreamTableCluster.class)
          .inNamespace(NAMESPACE.name())
          .withName(name)
          .delete();
      await("deleted after the test").atMost(WAIT).until(() -> current() == null);
    }
  }

  /** A merge patch of the spec: no resourceVersion, so the operator's status writes never clash. */
  private void scaleCdc(int replicas) {
    client()
        .resources(StreamTableCluster.class)
        .inNamespace(NAMESPACE.name())
        .withName(name)
        .patch(
            io.fabric8.kubernetes.client.dsl.base.PatchContext.of(
                io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE),
            "{\"spec\":{\"cdc\":{\"replicas\":" + replicas + "}}}");
  }

  private StreamTableCluster current() {
    return client()
        .resources(StreamTableCluster.class)
        .inNamespace(NAMESPACE.name())
        .withName(name)
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
