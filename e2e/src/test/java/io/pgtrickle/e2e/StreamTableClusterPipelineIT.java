package io.pgtrickle.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.pgtrickle.operator.api.streams.StreamTableCluster;
import io.pgtrickle.operator.api.streams.StreamTableClusterPhase;
import io.pgtrickle.operator.testbed.HaCluster;
import io.pgtrickle.testbed.ProgramPods;
import io.pgtrickle.testbed.TestNamespace;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The whole pipeline as a user meets it: a PostgresCluster (real Patroni and PostgreSQL) and a
 * StreamTableCluster with {@code clusterRef}, both run by the operator, with the packaged
 * cdc-consumer and worker programs behind the pipeline's pods ({@link ProgramPods}: the operator's
 * pod specs are what start them, their Service names resolve and route). A stream table is created
 * through SQL ({@code pgtrickle.exec_stream_ddl}), writes to its source reach it through the real
 * CDC consumer, the PostgreSQL-tables change log and the real workers, and it equals the
 * recomputation of its query after every round; the resource's status counts it. Then faults under
 * a write load: a worker pod deleted, the CDC pod deleted, PostgreSQL crashed (its pod's processes
 * SIGKILLed and restarted by the pod player); after each the stream table converges to the
 * recomputation again (nothing lost, nothing applied twice). Deleting the resource stops the pods
 * and drops the slot and the change log, and leaves the stream table.
 */
class StreamTableClusterPipelineIT {

  @RegisterExtension static final TestNamespace NAMESPACE = new TestNamespace();

  private static final Duration WAIT = Duration.ofSeconds(180);
  private static final String NAME = "shop";
  private static final String QUERY =
      "SELECT category, sum(amount) AS total, count(*) AS n FROM orders GROUP BY category";

  /**
   * The query's columns: a stream table maintained differentially also holds hidden bookkeeping
   * columns ({@code __pgt_*}, worker/README.md).
   */
  private static final String STREAM_TABLE = "(SELECT category, total, n FROM category_totals)";

  private static ProgramPods programs;
  private static HaCluster postgres;

  @BeforeAll
  static void start() {
    programs = new ProgramPods(NAMESPACE.testBed(), NAMESPACE.name());
    // One member keeps the test lean; failover of the referenced cluster is the cdc-consumer's
    // PatroniFailoverCdcIT.
    postgres =
        HaCluster.start(
            NAMESPACE.testBed(),
            NAMESPACE.name(),
            "pg",
            HaCluster.testedMajor(),
            false,
            1,
            Map.of());
  }

  @AfterAll
  static void stop() {
    if (postgres != null) {
      postgres.close();
    }
    if (programs != null) {
      programs.close();
    }
  }

  @Test
  void aStreamTableFollowsItsSourceThroughTheRealPipeline() throws Exception {
    String yaml =
        "apiVersion: trickle-labs.io/v1alpha1\nkind: StreamTableCluster\nmetadata:\n  name: "
            + NAME
            + "\n  namespace: "
            + NAMESPACE.name()
            + "\nspec:\n  postgresql: {clusterRef: {name: pg}, database: postgres}\n"
            + "  workers: {min: 1, max: 2, autoscaler: none}\n";
    client()
        .resource(client().getKubernetesSerialization().unmarshal(yaml, StreamTableCluster.class))
        .create();
    await("the pipeline Running: its real consumer and worker ready")
        .atMost(WAIT)
        .until(() -> phase(current()), p -> p == StreamTableClusterPhase.Running);
    await("the worker installed the catalog")
        .atMost(WAIT)
        .until(
            () -> scalar("SELECT to_regproc('pgtrickle.exec_stream_ddl') IS NOT NULL"),
            "t"::equals);

    execute(
        "CREATE TABLE orders (id int PRIMARY KEY, category text NOT NULL, amount numeric NOT NULL)",
        "CREATE SEQUENCE order_ids START 1000",
        "INSERT INTO orders SELECT g, 'c' || (g % 5), g FROM generate_series(1, 50) g",
        "SELECT pgtrickle.exec_stream_ddl($$CREATE STREAM TABLE category_totals AS "
            + QUERY
            + " WITH (schedule = '1s')$$)");
    awaitEqualToRecomputation("populated");

    // Rounds of writes of every kind; after each the stream table catches up on its own schedule.
    execute(
        "INSERT INTO orders SELECT g, 'c' || (g % 7), g * 2 FROM generate_series(51, 250) g",
        "UPDATE orders SET amount = amount + 1000 WHERE id % 3 = 0");
    awaitEqualToRecomputation("after inserts and updates");
    execute(
        "DELETE FROM orders WHERE id % 4 = 0",
        "UPDATE orders SET category = 'moved' WHERE id % 10 = 1");
    awaitEqualToRecomputation("after deletes and a changed group");
    assertThat(scalar("SELECT status FROM pgtrickle.pgt_stream_tables")).isEqualTo("ACTIVE");

    // Faults under a write load; after each the stream table converges to its query's result:
    // nothing lost, nothing applied twice (a sum would show either).
    String worker = workerPod();
    underWrites(() -> client().pods().inNamespace(NAMESPACE.name()).withName(worker).delete());
    awaitEqualToRecomputation("after worker pod " + worker + " was deleted under writes");
    underWrites(
        () -> client().pods().inNamespace(NAMESPACE.name()).withName(NAME + "-cdc-0").delete());
    awaitEqualToRecomputation("after the CDC pod was deleted under writes");
    underWrites(() -> postgres.pods().crash(postgres.primaryPod()));
    awaitEqualToRecomputation("after PostgreSQL crashed under writes");
    assertThat(scalar("SELECT status FROM pgtrickle.pgt_stream_tables")).isEqualTo("ACTIVE");
    await("the status counts the stream table")
        .atMost(WAIT)
        .until(() -> current().getStatus().getStreamTables(), n -> n != null && n == 1);
    assertThat(Files.readString(programs.log(workerPod()))).doesNotContain(postgres.password());

    client()
        .resources(StreamTableCluster.class)
        .inNamespace(NAMESPACE.name())
        .withName(NAME)
        .delete();
    await("deleted").atMost(WAIT).until(() -> current() == null);
    await("the pipeline's pods gone")
        .atMost(WAIT)
        .until(
            () ->
                client()
                    .pods()
                    .inNamespace(NAMESPACE.name())
                    .withLabel("trickle-labs.io/stream-table-cluster", NAME)
                    .list()
                    .getItems()
                    .isEmpty());
    assertThat(scalar("SELECT count(*) FROM pg_replication_slots WHERE slot_type = 'logical'"))
        .isEqualTo("0");
    assertThat(scalar("SELECT count(*) FROM pg_namespace WHERE nspname = 'pgtrickle_changelog'"))
        .isEqualTo("0");
    assertThat(scalar("SELECT count(*) FROM category_totals")).isNotEqualTo("0");
    assertThat(difference()).as("the stream table left as it was").isEmpty();
  }

  /**
   * Runs {@code fault} while a writer commits transactions (an insert and an update each, retried
   * on a new connection when the database is away), until 100 more have committed after it.
   */
  private static void underWrites(Runnable fault) throws InterruptedException {
    AtomicBoolean stop = new AtomicBoolean();
    AtomicInteger committed = new AtomicInteger();
    Thread writer =
        new Thread(
            () -> {
              while (!stop.get()) {
                try (Connection c = postgres.connect(postgres.primaryIp().orElseThrow());
                    Statement s = c.createStatement()) {
                  c.setAutoCommit(false);
                  while (!stop.get()) {
                    s.execute(
                        "INSERT INTO orders SELECT nextval('order_ids'), 'c' || (random() * 9)::int,"
                            + " (random() * 100)::int");
                    s.execute(
                        "UPDATE orders SET amount = amount + 1 WHERE id = (SELECT max(id) - 5"
                            + " FROM orders)");
                    c.commit();
                    committed.incrementAndGet();
                  }
                } catch (SQLException | RuntimeException e) {
                  sleep(200); // away: a crash, a restart; the next connection finds the primary
                }
              }
            },
            "writer");
    writer.start();
    try {
      await("the writer started").atMost(WAIT).until(() -> committed.get() >= 20);
      fault.run();
      int after = committed.get();
      await("100 transactions after the fault")
          .atMost(WAIT)
          .until(() -> committed.get() >= after + 100);
    } finally {
      stop.set(true);
      writer.join(30_000);
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void awaitEqualToRecomputation(String when) {
    await("category_totals equal to its query " + when)
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(500))
        .until(StreamTableClusterPipelineIT::difference, String::isEmpty);
  }

  /** The rows in one of the stream table and its query's result but not the other, or "". */
  private static String difference() {
    return scalar(
        "SELECT coalesce(string_agg(x::text, ' '), '') FROM ((SELECT * FROM "
            + STREAM_TABLE
            + " s EXCEPT ALL "
            + QUERY
            + ") UNION ALL ("
            + QUERY
            + " EXCEPT ALL SELECT * FROM "
            + STREAM_TABLE
            + " s)) x");
  }

  private static String workerPod() {
    return client()
        .pods()
        .inNamespace(NAMESPACE.name())
        .withLabel("app.kubernetes.io/component", "worker")
        .list()
        .getItems()
        .get(0)
        .getMetadata()
        .getName();
  }

  private static StreamTableClusterPhase phase(StreamTableCluster c) {
    return c == null || c.getStatus() == null ? null : c.getStatus().getPhase();
  }

  private static StreamTableCluster current() {
    return client()
        .resources(StreamTableCluster.class)
        .inNamespace(NAMESPACE.name())
        .withName(NAME)
        .get();
  }

  private static void execute(String... statements) throws SQLException {
    try (Connection c = postgres.connect(postgres.primaryIp().orElseThrow());
        Statement s = c.createStatement()) {
      for (String sql : statements) {
        s.execute(sql);
      }
    }
  }

  private static String scalar(String sql) {
    try (Connection c = postgres.connect(postgres.primaryIp().orElseThrow());
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      return rs.next() ? rs.getString(1) : null;
    } catch (SQLException | RuntimeException e) {
      return "error: " + e.getMessage();
    }
  }

  private static KubernetesClient client() {
    return NAMESPACE.client();
  }
}
