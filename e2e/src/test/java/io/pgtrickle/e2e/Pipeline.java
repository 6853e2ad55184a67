package io.pgtrickle.e2e;

import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.pgtrickle.operator.api.streams.StreamTableCluster;
import io.pgtrickle.operator.api.streams.StreamTableClusterPhase;
import io.pgtrickle.operator.testbed.HaCluster;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;

/**
 * One StreamTableCluster {@value #NAME} on a PostgresCluster, as the end-to-end tests drive it: the
 * resource created from its spec, SQL on the current primary, the stream table {@code
 * category_totals} ({@value #QUERY}) compared with its query's result, and a writer that runs while
 * a fault happens. Shared by the end-to-end tests; holds no state of its own beyond the names.
 */
final class Pipeline {

  static final Duration WAIT = Duration.ofSeconds(180);
  static final String NAME = "shop";
  static final String QUERY =
      "SELECT category, sum(amount) AS total, count(*) AS n FROM orders GROUP BY category";

  /**
   * The query's columns: a stream table maintained differentially also holds hidden bookkeeping
   * columns ({@code __pgt_*}, worker/README.md).
   */
  private static final String STREAM_TABLE = "(SELECT category, total, n FROM category_totals)";

  private final KubernetesClient client;
  private final String namespace;
  private final HaCluster postgres;

  Pipeline(KubernetesClient client, String namespace, HaCluster postgres) {
    this.client = client;
    this.namespace = namespace;
    this.postgres = postgres;
  }

  /** Creates the StreamTableCluster with {@code spec} (YAML lines indented by two spaces). */
  void create(String spec) {
    String yaml =
        "apiVersion: trickle-labs.io/v1alpha1\nkind: StreamTableCluster\nmetadata:\n  name: "
            + NAME
            + "\n  namespace: "
            + namespace
            + "\nspec:\n"
            + spec;
    client
        .resource(client.getKubernetesSerialization().unmarshal(yaml, StreamTableCluster.class))
        .create();
  }

  /** Running (its real consumer and workers ready) and the catalog installed by a worker. */
  void awaitRunningWithCatalog() {
    await("the pipeline Running: its real consumer and worker ready")
        .atMost(WAIT)
        .until(() -> phase(current()), p -> p == StreamTableClusterPhase.Running);
    await("the worker installed the catalog")
        .atMost(WAIT)
        .until(
            () -> scalar("SELECT to_regproc('pgtrickle.exec_stream_ddl') IS NOT NULL"),
            "t"::equals);
  }

  /**
   * The source {@code orders} with 50 rows, the sequence the writer takes ids from, and the stream
   * table created through {@code pgtrickle.exec_stream_ddl}, populated.
   */
  void createStreamTable() throws SQLException {
    execute(
        "CREATE TABLE orders (id int PRIMARY KEY, category text NOT NULL, amount numeric NOT NULL)",
        "CREATE SEQUENCE order_ids START 1000",
        "INSERT INTO orders SELECT g, 'c' || (g % 5), g FROM generate_series(1, 50) g",
        "SELECT pgtrickle.exec_stream_ddl($$CREATE STREAM TABLE category_totals AS "
            + QUERY
            + " WITH (schedule = '1s')$$)");
    awaitEqualToRecomputation("populated");
  }

  /**
   * Runs {@code fault} while a writer commits transactions (an insert and an update each, retried
   * on a new connection when the database is away), until 100 more have committed after it. Returns
   * the ids of the rows whose insert was acknowledged (committed).
   */
  Set<Integer> underWrites(Runnable fault) throws InterruptedException {
    AtomicBoolean stop = new AtomicBoolean();
    Set<Integer> acknowledged = ConcurrentHashMap.newKeySet();
    Thread writer =
        new Thread(
            () -> {
              while (!stop.get()) {
                try (Connection c = postgres.connect(postgres.primaryIp().orElseThrow());
                    Statement s = c.createStatement()) {
                  c.setAutoCommit(false);
                  while (!stop.get()) {
                    int id;
                    try (ResultSet rs =
                        s.executeQuery(
                            "INSERT INTO orders SELECT nextval('order_ids'), 'c' || (random() *"
                                + " 9)::int, (random() * 100)::int RETURNING id")) {
                      rs.next();
                      id = rs.getInt(1);
                    }
                    s.execute(
                        "UPDATE orders SET amount = amount + 1 WHERE id = (SELECT max(id) - 5"
                            + " FROM orders)");
                    c.commit();
                    acknowledged.add(id);
                  }
                } catch (SQLException | RuntimeException e) {
                  sleep(200); // away: a crash, a failover; the next connection finds the primary
                }
              }
            },
            "writer");
    writer.start();
    try {
      await("the writer started").atMost(WAIT).until(() -> acknowledged.size() >= 20);
      fault.run();
      int after = acknowledged.size();
      await("100 transactions after the fault")
          .atMost(WAIT)
          .until(() -> acknowledged.size() >= after + 100);
    } finally {
      stop.set(true);
      writer.join(30_000);
    }
    return Set.copyOf(acknowledged);
  }

  void awaitEqualToRecomputation(String when) {
    await("category_totals equal to its query " + when)
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(500))
        .until(this::difference, String::isEmpty);
  }

  /** The rows in one of the stream table and its query's result but not the other, or "". */
  String difference() {
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

  /** The pipeline's pods, name to UID and restarts (a container that exited counts). */
  Map<String, String> podUids() {
    return client
        .pods()
        .inNamespace(namespace)
        .withLabel("trickle-labs.io/stream-table-cluster", NAME)
        .list()
        .getItems()
        .stream()
        .collect(
            Collectors.toMap(
                p -> p.getMetadata().getName(),
                p ->
                    p.getMetadata().getUid()
                        + " restarts "
                        + (p.getStatus().getContainerStatuses() == null
                            ? 0
                            : p.getStatus().getContainerStatuses().stream()
                                .mapToInt(
                                    c -> c.getRestartCount() == null ? 0 : c.getRestartCount())
                                .sum())));
  }

  String workerPod() {
    return client
        .pods()
        .inNamespace(namespace)
        .withLabel("app.kubernetes.io/component", "worker")
        .list()
        .getItems()
        .get(0)
        .getMetadata()
        .getName();
  }

  static StreamTableClusterPhase phase(StreamTableCluster c) {
    return c == null || c.getStatus() == null ? null : c.getStatus().getPhase();
  }

  StreamTableCluster current() {
    return client.resources(StreamTableCluster.class).inNamespace(namespace).withName(NAME).get();
  }

  /** Changes the resource's spec (a read, {@code change}, and a write with its version). */
  void edit(java.util.function.Consumer<StreamTableCluster> change) {
    // The edit carries the resourceVersion it read: a status patch of the operator in between is
    // a conflict (409, seen in ci127), which kubectl edit would also have the user retry.
    for (int attempt = 1; ; attempt++) {
      try {
        client
            .resources(StreamTableCluster.class)
            .inNamespace(namespace)
            .withName(NAME)
            .edit(
                stc -> {
                  change.accept(stc);
                  return stc;
                });
        return;
      } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
        if (e.getCode() != 409 || attempt == 5) {
          throw e;
        }
      }
    }
  }

  /** Deletes the resource and waits until it and its pods are gone. */
  void deleteAndAwaitGone() {
    client.resources(StreamTableCluster.class).inNamespace(namespace).withName(NAME).delete();
    await("deleted").atMost(WAIT).until(() -> current() == null);
    await("the pipeline's pods gone")
        .atMost(WAIT)
        .until(
            () ->
                client
                    .pods()
                    .inNamespace(namespace)
                    .withLabel("trickle-labs.io/stream-table-cluster", NAME)
                    .list()
                    .getItems()
                    .isEmpty());
  }

  void execute(String... statements) throws SQLException {
    try (Connection c = postgres.connect(postgres.primaryIp().orElseThrow());
        Statement s = c.createStatement()) {
      for (String sql : statements) {
        s.execute(sql);
      }
    }
  }

  /** The first column of the first row on the primary, or "error: ..." when it cannot be read. */
  String scalar(String sql) {
    try (Connection c = postgres.connect(postgres.primaryIp().orElseThrow());
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      return rs.next() ? rs.getString(1) : null;
    } catch (SQLException | RuntimeException e) {
      return "error: " + e.getMessage();
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
