package io.pgtrickle.adapter.it;

import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscalerCondition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.pgtrickle.adapter.pipeline.PipelineNames;
import io.pgtrickle.changelog.support.PostgresServer;
import io.pgtrickle.operator.api.streams.StreamTableCluster;
import io.pgtrickle.operator.testbed.OperatorRunner;
import io.pgtrickle.testbed.ProgramPods;
import io.pgtrickle.testbed.TestBed;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A StreamTableCluster whose workers the real HPA scales on CDC lag, everything real: PostgreSQL,
 * the operator (in this JVM) making the CDC StatefulSet, the worker Deployment and the HPA, the
 * packaged cdc-consumer and worker behind the pods ({@link ProgramPods}), the metrics adapter (in
 * this JVM, behind the aggregator: {@link AdapterFixture}) and kube-controller-manager's HPA
 * controller. Only the HPA's {@code behavior} is shortened (no 5-minute scale-down window). Shared
 * by {@code WorkerAutoscalingIT} and {@code HpaBenchmark}.
 */
final class HpaScenario implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(HpaScenario.class);

  static final String STC = "shop";
  static final int STREAM_TABLES = 6;

  /** The CDC lag target: any write makes the lag p95 (milliseconds) larger than this. */
  static final int TARGET_CDC_LAG_MS = 2;

  private final TestBed testBed;
  private final String namespace;
  private PostgresServer postgres;
  private ProgramPods programs;
  private OperatorRunner operator;
  AdapterFixture adapter;

  HpaScenario(TestBed testBed, String namespace) {
    this.testBed = testBed;
    this.namespace = namespace;
  }

  KubernetesClient client() {
    return testBed.client();
  }

  /** PostgreSQL, the pod programs, the adapter (Available) and the operator. */
  HpaScenario start() throws Exception {
    postgres =
        PostgresServer.start(
            PostgresServer.defaultBin(), "-c wal_level=logical -c max_connections=200");
    execute(
        "CREATE TABLE orders (id bigserial PRIMARY KEY, region int NOT NULL, amount numeric NOT"
            + " NULL)");
    client()
        .secrets()
        .inNamespace(namespace)
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName("pg")
                .endMetadata()
                .withStringData(Map.of("username", "postgres", "password", "trust"))
                .build())
        .create();
    // The images' programs: the packaged cdc-consumer.jar and worker.jar, as the images run them.
    programs = new ProgramPods(testBed, namespace);
    adapter = new AdapterFixture(client(), namespace).install();
    adapter.awaitAvailable(Duration.ofSeconds(90));
    operator = OperatorRunner.start(testBed, namespace);
    return this;
  }

  /**
   * The StreamTableCluster (workers min 1, max 4, CDC lag target {@value #TARGET_CDC_LAG_MS} ms, a
   * CPU target out of reach so that only the lag scales), the HPA's behavior shortened, the catalog
   * installed by the first worker, {@value #STREAM_TABLES} stream tables refreshed every second,
   * captured by the CDC consumer, and the HPA active on one worker.
   */
  void createPipeline(Duration timeout) throws Exception {
    client()
        .resource(
            client()
                .getKubernetesSerialization()
                .unmarshal(
                    "apiVersion: trickle-labs.io/v1alpha1\nkind: StreamTableCluster\nmetadata:\n"
                        + "  name: "
                        + STC
                        + "\n  namespace: "
                        + namespace
                        + "\nspec:\n"
                        + "  postgresql: {host: 127.0.0.1, port: "
                        + postgres.port()
                        + ", database: postgres, secretRef: {name: pg}}\n"
                        + "  workers: {min: 1, max: 4, targetCdcLagMs: "
                        + TARGET_CDC_LAG_MS
                        + ", targetCpuPercent: 1000}\n",
                    StreamTableCluster.class))
        .create();
    await("the HPA").atMost(timeout).until(() -> hpa() != null);
    // The test's own field manager owns only spec.behavior; the operator's apply leaves it.
    client()
        .autoscaling()
        .v2()
        .horizontalPodAutoscalers()
        .inNamespace(namespace)
        .withName(STC + "-worker")
        .patch(
            PatchContext.of(PatchType.SERVER_SIDE_APPLY),
            "{\"apiVersion\":\"autoscaling/v2\",\"kind\":\"HorizontalPodAutoscaler\","
                + "\"metadata\":{\"name\":\""
                + STC
                + "-worker\",\"namespace\":\""
                + namespace
                + "\"},\"spec\":{\"behavior\":{"
                + "\"scaleUp\":{\"stabilizationWindowSeconds\":0,\"policies\":"
                + "[{\"type\":\"Percent\",\"value\":1000,\"periodSeconds\":1}]},"
                + "\"scaleDown\":{\"stabilizationWindowSeconds\":0,\"policies\":"
                + "[{\"type\":\"Percent\",\"value\":100,\"periodSeconds\":1}]}}}}");
    await("the catalog installed by a ready worker")
        .atMost(timeout)
        .until(
            () ->
                readyWorkers() == 1
                    && "t"
                        .equals(
                            scalar(
                                "SELECT count(*) > 0 FROM pg_proc p JOIN pg_namespace n ON n.oid ="
                                    + " p.pronamespace WHERE n.nspname = 'pgtrickle' AND"
                                    + " p.proname = 'create_stream_table'")));
    for (int i = 1; i <= STREAM_TABLES; i++) {
      execute(
          "SELECT pgtrickle.create_stream_table('totals_"
              + i
              + "', 'SELECT region, sum(amount) AS total, count(*) AS n FROM orders WHERE region % "
              + STREAM_TABLES
              + " = "
              + (i - 1)
              + " GROUP BY region', '1s')");
    }
    await("the consumer captures orders")
        .atMost(timeout)
        .until(
            () ->
                "t"
                    .equals(
                        scalar(
                            "SELECT bool_and(captured_since_lsn IS NOT NULL) FROM"
                                + " pgtrickle.pgt_change_tracking")));
    await("ScalingActive with a valid metric, 1 worker")
        .atMost(timeout)
        .until(() -> scalingActive() && replicas() == 1 && readyWorkers() == 1);
  }

  @Override
  public void close() {
    if (operator != null) {
      operator.close();
    }
    if (adapter != null) {
      adapter.close();
    }
    if (programs != null) {
      programs.close();
    }
    if (postgres != null) {
      postgres.close();
    }
  }

  /**
   * A paced write load: {@code perSecond} transactions of 10 rows. Light enough for the CDC
   * consumer and the worker's ingest to keep up on a busy machine, so that refreshes complete; any
   * write gives the CDC lag p95 a few milliseconds, above the target.
   */
  Load load(int perSecond) {
    return new Load(perSecond);
  }

  final class Load implements AutoCloseable {
    final AtomicBoolean running = new AtomicBoolean(true);
    final AtomicLong rows = new AtomicLong();
    final Thread thread;

    Load(int perSecond) {
      long periodNanos = 1_000_000_000L / perSecond;
      thread =
          new Thread(
              () -> {
                try (Connection c = db();
                    Statement s = c.createStatement()) {
                  long next = System.nanoTime();
                  while (running.get()) {
                    s.execute(
                        "INSERT INTO orders (region, amount) SELECT (random() * 60)::int, g FROM"
                            + " generate_series(1, 10) g");
                    rows.addAndGet(10);
                    next += periodNanos;
                    long wait = next - System.nanoTime();
                    if (wait > 0) {
                      Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                    }
                  }
                } catch (SQLException e) {
                  LOG.warn("load stopped: {}", e.getMessage());
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
              },
              "write-load");
      thread.start();
    }

    @Override
    public void close() throws InterruptedException {
      running.set(false);
      thread.join(30_000);
      LOG.info("load wrote {} rows", rows.get());
    }
  }

  Connection db() throws SQLException {
    return DriverManager.getConnection(postgres.jdbcUrl(), "postgres", "");
  }

  String scalar(String sql) throws SQLException {
    try (Connection c = db();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      return rs.next() ? rs.getString(1) : null;
    }
  }

  void execute(String sql) throws SQLException {
    try (Connection c = db();
        Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }

  /** The workers (pod names) with a completed refresh that started at or after {@code millis}. */
  Set<String> workersThatRefreshedSince(long millis) throws SQLException {
    Set<String> out = new HashSet<>();
    try (Connection c = db();
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT DISTINCT worker_id FROM pgtrickle.pgt_refresh_history WHERE status ="
                    + " 'COMPLETED' AND start_time >= to_timestamp("
                    + (millis / 1000.0)
                    + ")")) {
      while (rs.next()) {
        out.add(rs.getString(1));
      }
    }
    return out;
  }

  /** What the HPA sees, one line. */
  String describeHpa() {
    HorizontalPodAutoscaler h = hpa();
    if (h == null || h.getStatus() == null) {
      return "no HPA status";
    }
    return "replicas "
        + h.getStatus().getCurrentReplicas()
        + " desired "
        + h.getStatus().getDesiredReplicas()
        + " metrics "
        + (h.getStatus().getCurrentMetrics() == null
            ? "none"
            : h.getStatus().getCurrentMetrics().stream()
                .map(
                    m ->
                        m.getObject() != null
                            ? m.getObject().getMetric().getName()
                                + "="
                                + m.getObject().getCurrent().getValue()
                            : m.getPods() != null
                                ? m.getPods().getMetric().getName()
                                    + "="
                                    + m.getPods().getCurrent().getAverageValue()
                                : m.getType())
                .toList())
        + " conditions "
        + (h.getStatus().getConditions() == null
            ? "none"
            : h.getStatus().getConditions().stream()
                .map(
                    c ->
                        c.getType()
                            + "="
                            + c.getStatus()
                            + "/"
                            + c.getReason()
                            + ("True".equals(c.getStatus()) ? "" : ": " + c.getMessage()))
                .toList());
  }

  HorizontalPodAutoscaler hpa() {
    return client()
        .autoscaling()
        .v2()
        .horizontalPodAutoscalers()
        .inNamespace(namespace)
        .withName(STC + "-worker")
        .get();
  }

  HorizontalPodAutoscalerCondition hpaCondition(String type) {
    HorizontalPodAutoscaler h = hpa();
    if (h == null || h.getStatus() == null || h.getStatus().getConditions() == null) {
      return null;
    }
    return h.getStatus().getConditions().stream()
        .filter(c -> type.equals(c.getType()))
        .findFirst()
        .orElse(null);
  }

  boolean scalingActive() {
    HorizontalPodAutoscalerCondition c = hpaCondition("ScalingActive");
    return c != null && "True".equals(c.getStatus());
  }

  Condition stcCondition(String type) {
    StreamTableCluster s =
        client().resources(StreamTableCluster.class).inNamespace(namespace).withName(STC).get();
    if (s == null || s.getStatus() == null || s.getStatus().getConditions() == null) {
      return null;
    }
    return s.getStatus().getConditions().stream()
        .filter(c -> type.equals(c.getType()))
        .findFirst()
        .orElse(null);
  }

  /** The worker Deployment's spec.replicas (what the HPA set), -1 without one. */
  int replicas() {
    Deployment d =
        client().apps().deployments().inNamespace(namespace).withName(STC + "-worker").get();
    return d == null || d.getSpec().getReplicas() == null ? -1 : d.getSpec().getReplicas();
  }

  private List<Pod> workerPods() {
    return client()
        .pods()
        .inNamespace(namespace)
        .withLabels(PipelineNames.podSelector(STC, PipelineNames.WORKER_COMPONENT))
        .list()
        .getItems()
        .stream()
        .filter(p -> p.getMetadata().getDeletionTimestamp() == null)
        .toList();
  }

  List<String> workerPodNames() {
    return workerPods().stream().map(p -> p.getMetadata().getName()).toList();
  }

  List<String> readyWorkerNames() {
    return workerPods().stream()
        .filter(HpaScenario::ready)
        .map(p -> p.getMetadata().getName())
        .toList();
  }

  long readyWorkers() {
    return readyWorkerNames().size();
  }

  private static boolean ready(Pod p) {
    return p.getStatus() != null
        && p.getStatus().getConditions() != null
        && p.getStatus().getConditions().stream()
            .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
  }
}
