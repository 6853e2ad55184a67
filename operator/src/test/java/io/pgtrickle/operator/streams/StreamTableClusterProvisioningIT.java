package io.pgtrickle.operator.streams;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.ListOptionsBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.pgtrickle.changelog.support.PostgresServer;
import io.pgtrickle.operator.api.streams.StreamTableCluster;
import io.pgtrickle.operator.api.streams.StreamTableClusterPhase;
import io.pgtrickle.operator.streams.dependent.SecretVersions;
import io.pgtrickle.operator.streams.spec.ReplicasHandover;
import io.pgtrickle.operator.streams.status.PipelineStatusCalculator;
import io.pgtrickle.operator.testbed.Edits;
import io.pgtrickle.testbed.TestNamespace;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The StreamTableCluster reconciler on the test bed's real API server and controllers, against a
 * real PostgreSQL (the database given by {@code host}, PostgreSQL-tables change log): children with
 * their names, owners and settings, the change log's schema created before the consumers, the
 * status following the HPA and the catalog, scale-down decommission, autoscaler switched off, and
 * deletion removing the change log. kwok plays the pods (Ready at once, Job pods Succeeded): the
 * real programs behind the pods are the end-to-end tests' part.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class StreamTableClusterProvisioningIT {

  @RegisterExtension static final TestNamespace NAMESPACE = new TestNamespace();

  private static final Duration WAIT = Duration.ofSeconds(90);
  private static final String NAME = "orders";

  /** Spec changes as merge patches: no resourceVersion, so status writes never make them fail. */
  private static final io.fabric8.kubernetes.client.dsl.base.PatchContext MERGE =
      io.fabric8.kubernetes.client.dsl.base.PatchContext.of(
          io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE);

  private static PipelineTestBed bed;
  private static PostgresServer postgres;

  /** Where the pods are told to export (kwok plays them: nothing connects). */
  private static final String OTLP = "http://otel-collector.monitoring.svc:4317";

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

  /**
   * With {@code workers.min: 2} and the HPA: the workers' Deployment is created with 2 replicas,
   * and no version of it has fewer (before, it was created without {@code replicas}, so with 1,
   * until the HPA raised it to its minimum); a watch from before the creation sees every version.
   */
  @Test
  @Order(1)
  void createsTheChangeLogThenTheChildrenAndReportsRunning() throws Exception {
    Queue<Integer> workerCounts = new ConcurrentLinkedQueue<>();
    Watch workersWatch =
        client()
            .apps()
            .deployments()
            .inNamespace(NAMESPACE.name())
            .withName("orders-worker")
            .watch(
                new Watcher<Deployment>() {
                  @Override
                  public void eventReceived(Action action, Deployment d) {
                    workerCounts.add(d.getSpec().getReplicas());
                  }

                  @Override
                  public void onClose(WatcherException cause) {}
                });
    apply(
        "{postgresql: {host: 127.0.0.1, port: "
            + postgres.port()
            + ", database: postgres, secretRef: {name: pg}}, workers: {min: 2, max: 3,"
            + " targetCdcLagMs: 250}, cdc: {replicas: 2}, monitoring: {prometheus: true,"
            + " serviceMonitor: true, otlp: {endpoint: '"
            + OTLP.replace("http://", "")
            + "'}}}");

    StreamTableCluster stc =
        await("phase Running")
            .atMost(WAIT)
            .until(
                this::current,
                s ->
                    s.getStatus() != null
                        && s.getStatus().getPhase() == StreamTableClusterPhase.Running);
    assertThat(condition(stc, PipelineStatusCalculator.CHANGE_LOG_READY).getStatus())
        .isEqualTo("True");
    assertThat(stc.getStatus().getChangeLog())
        .isEqualTo("schema pgtrickle_changelog in database postgres");
    // kubectl get stc shows the pipeline's health; -o wide adds where it reads and what lags.
    io.pgtrickle.testbed.TestBed.Result table =
        NAMESPACE.testBed().kubectl("get", "stc", "-n", NAMESPACE.name());
    assertThat(table.ok()).as(table.output()).isTrue();
    List<String> columns =
        List.of(
            "NAME",
            "BACKEND",
            "WORKERS",
            "CDC LAG",
            "INGEST LAG",
            "STREAM TABLES",
            "IN ERROR",
            "STATUS");
    List<String> byDefault = new java.util.ArrayList<>(columns);
    byDefault.add("AGE");
    assertThat(table.output().strip().split("\n")[0].split("\\s{2,}"))
        .containsExactlyElementsOf(byDefault);
    io.pgtrickle.testbed.TestBed.Result wide =
        NAMESPACE.testBed().kubectl("get", "stc", "-n", NAMESPACE.name(), "-o", "wide");
    assertThat(wide.ok()).as(wide.output()).isTrue();
    String[] wideLines = wide.output().strip().split("\n");
    List<String> wideColumns = new java.util.ArrayList<>(columns);
    wideColumns.addAll(List.of("DATABASE", "CDC", "STALEST", "STALEST MS", "REASON", "AGE"));
    assertThat(wideLines[0].split("\\s{2,}")).containsExactlyElementsOf(wideColumns);
    assertThat(wideLines[1]).contains(" postgres ");
    await("2 workers ready")
        .atMost(WAIT)
        .until(this::current, s -> "2/2".equals(s.getStatus().getWorkers()));
    // The HPA controller (1 s sync here) would have raised a count below its min by now.
    Thread.sleep(3_000);
    workersWatch.close();
    assertThat(workerCounts).as("spec.replicas of every version of orders-worker").isNotEmpty();
    assertThat(workerCounts)
        .as("spec.replicas of every version of orders-worker")
        .allMatch(r -> r != null && r == 2);
    assertThat(stc.getStatus().getSlotOrdinals()).isEqualTo(2);
    assertThat(stc.getStatus().getStreamTables()).isZero();
    // The schema exists, with the workers' consumer registered before any event.
    try (Connection c = db();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT name FROM pgtrickle_changelog.consumers")) {
      assertThat(rs.next()).isTrue();
      assertThat(rs.getString(1)).isEqualTo("pgtrickle-worker");
    }

    KubernetesClient k = client();
    String ns = NAMESPACE.name();
    StatefulSet sts = k.apps().statefulSets().inNamespace(ns).withName("orders-cdc").get();
    assertThat(sts.getSpec().getReplicas()).isEqualTo(2);
    assertThat(sts.getMetadata().getOwnerReferences().get(0).getKind())
        .isEqualTo("StreamTableCluster");
    assertThat(sts.getSpec().getTemplate().getMetadata().getAnnotations())
        .containsEntry("prometheus.io/scrape", "true");
    Deployment workers = k.apps().deployments().inNamespace(ns).withName("orders-worker").get();
    assertThat(workers.getSpec().getReplicas()).as("workers.min from the start").isEqualTo(2);
    assertThat(k.services().inNamespace(ns).withName("orders-cdc").get()).isNotNull();
    assertThat(k.services().inNamespace(ns).withName("orders-worker").get()).isNotNull();
    assertThat(k.serviceAccounts().inNamespace(ns).withName("orders-cdc").get()).isNotNull();
    HorizontalPodAutoscaler hpa =
        k.autoscaling()
            .v2()
            .horizontalPodAutoscalers()
            .inNamespace(ns)
            .withName("orders-worker")
            .get();
    assertThat(hpa.getSpec().getMaxReplicas()).isEqualTo(3);
    assertThat(hpa.getSpec().getMetrics().get(0).getObject().getTarget().getValue().toString())
        .isEqualTo("250");
    // monitoring.otlp: the pods export to the collector, saying who they are.
    var cdcEnv = sts.getSpec().getTemplate().getSpec().getContainers().get(0).getEnv();
    assertThat(cdcEnv)
        .anyMatch(
            e -> e.getName().equals("OTEL_EXPORTER_OTLP_ENDPOINT") && e.getValue().equals(OTLP))
        .anyMatch(
            e -> e.getName().equals("OTEL_SERVICE_NAME") && e.getValue().equals("orders-cdc"));
    assertThat(workers.getSpec().getTemplate().getSpec().getContainers().get(0).getEnv())
        .anyMatch(
            e -> e.getName().equals("OTEL_SERVICE_NAME") && e.getValue().equals("orders-worker"));
    // The pods the controllers made carry them (kwok plays these pods: no program runs here;
    // worker's OtlpExportIT and cdc-consumer's StreamTableClusterCdcIT run the real programs).
    await("orders-cdc-0 with the OTLP environment")
        .atMost(WAIT)
        .until(
            () -> {
              var pod = k.pods().inNamespace(ns).withName("orders-cdc-0").get();
              return pod != null
                  && pod.getSpec().getContainers().get(0).getEnv().stream()
                      .anyMatch(
                          e ->
                              e.getName().equals("OTEL_RESOURCE_ATTRIBUTES")
                                  && e.getValue().contains("k8s.statefulset.name=orders-cdc")
                                  && e.getValue().contains("k8s.pod.name=$(K8S_POD_NAME)"));
            });
    assertThat(
            k.pods()
                .inNamespace(ns)
                .withLabels(
                    StreamTableClusterNames.podSelector(
                        NAME, StreamTableClusterNames.WORKER_COMPONENT))
                .list()
                .getItems())
        .isNotEmpty()
        .allSatisfy(
            pod ->
                assertThat(pod.getSpec().getContainers().get(0).getEnv())
                    .anyMatch(
                        e ->
                            e.getName().equals("OTEL_EXPORTER_OTLP_ENDPOINT")
                                && e.getValue().equals(OTLP)));
    // No ServiceMonitor CRD on the test bed: the condition says so.
    Condition monitoring = condition(stc, PipelineStatusCalculator.MONITORING_READY);
    assertThat(monitoring.getStatus()).isEqualTo("False");
    assertThat(monitoring.getReason()).isEqualTo("ServiceMonitorCrdMissing");
  }

  /**
   * No metrics adapter here: the HPA controller cannot get the lag, and the status says so, and why
   * (no custom metrics APIService on this API server).
   */
  @Test
  @Order(2)
  void autoscalingActiveReportsWhatTheHpaSays() {
    StreamTableCluster stc =
        await("the HPA's verdict")
            .atMost(WAIT)
            .until(
                this::current,
                s ->
                    Optional.ofNullable(condition(s, PipelineStatusCalculator.AUTOSCALING_ACTIVE))
                        .map(c -> CustomMetricsApi.MISSING.equals(c.getReason()))
                        .orElse(false));
    Condition active = condition(stc, PipelineStatusCalculator.AUTOSCALING_ACTIVE);
    assertThat(active.getStatus()).isEqualTo("False");
    assertThat(active.getMessage())
        .contains("No APIService v1beta2.custom.metrics.k8s.io", "metricsAdapter.enabled");
    assertThat(active.getMessage()).startsWith("HPA orders-worker: ");

    // Another adapter (here a prometheus-adapter that does not even run) owns custom.metrics: the
    // condition names it and the alternatives, and the operator leaves its APIService alone.
    GenericKubernetesResource foreign = new GenericKubernetesResource();
    foreign.setApiVersion("apiregistration.k8s.io/v1");
    foreign.setKind("APIService");
    foreign.setMetadata(new ObjectMetaBuilder().withName("v1beta2.custom.metrics.k8s.io").build());
    foreign.setAdditionalProperty(
        "spec",
        Map.of(
            "group",
            "custom.metrics.k8s.io",
            "version",
            "v1beta2",
            "groupPriorityMinimum",
            100,
            "versionPriority",
            200,
            "insecureSkipTLSVerify",
            true,
            "service",
            Map.of("namespace", "monitoring", "name", "prometheus-adapter", "port", 443)));
    client().resource(foreign).create();
    try {
      Condition other =
          await("the condition names the other adapter")
              .atMost(WAIT)
              .until(
                  () -> condition(current(), PipelineStatusCalculator.AUTOSCALING_ACTIVE),
                  c -> CustomMetricsApi.SERVED_BY_ANOTHER.equals(c.getReason()));
      assertThat(other.getStatus()).isEqualTo("False");
      assertThat(other.getMessage())
          .contains("served by Service monitoring/prometheus-adapter")
          .contains("spec.workers.autoscaler keda");
      assertThat(
              client()
                  .genericKubernetesResources("apiregistration.k8s.io/v1", "APIService")
                  .withName("v1beta2.custom.metrics.k8s.io")
                  .get()
                  .getAdditionalProperties()
                  .get("spec"))
          .as("left as its owner made it")
          .isEqualTo(foreign.getAdditionalProperties().get("spec"));
    } finally {
      // A dead APIService would break discovery, and namespace deletion with it.
      client()
          .genericKubernetesResources("apiregistration.k8s.io/v1", "APIService")
          .withName("v1beta2.custom.metrics.k8s.io")
          .delete();
    }
  }

  @Test
  @Order(3)
  void followsTheCatalogAndTheSlots() throws SQLException {
    try (Connection c = db();
        Statement s = c.createStatement()) {
      s.execute("CREATE SCHEMA pgtrickle");
      // The columns of the catalog (CONTRACTS.md section 1) the operator reads.
      s.execute(
          "CREATE TABLE pgtrickle.pgt_stream_tables (pgt_id bigserial PRIMARY KEY, pgt_schema"
              + " text, pgt_name text, data_timestamp timestamptz, status text NOT NULL DEFAULT"
              + " 'ACTIVE', last_error_message text)");
      s.execute(
          "INSERT INTO pgtrickle.pgt_stream_tables (pgt_schema, pgt_name, data_timestamp) VALUES"
              + " ('public', 'fresh', now()), ('public', 'stale', now() - interval '42 seconds'),"
              + " ('public', 'new', NULL)");
      s.execute(
          "CREATE TABLE pgtrickle.pgt_change_tracking (source_relid regclass PRIMARY KEY,"
              + " ingested_lsn pg_lsn)");
      // Ingested up to the WAL's start: everything written since is the ingest's lag.
      s.execute(
          "INSERT INTO pgtrickle.pgt_change_tracking VALUES ('pgtrickle.pgt_stream_tables', '0/0')");
      s.execute("SELECT pg_create_logical_replication_slot('pgtrickle_orders_0', 'pgoutput')");
    }
    StreamTableCluster stc =
        await("the catalog in the status")
            .atMost(WAIT)
            .until(
                this::current,
                s ->
                    Integer.valueOf(3).equals(s.getStatus().getStreamTables())
                        && s.getStatus().getCdcLag() != null);
    assertThat(stc.getStatus().getWorstFreshnessTable()).isEqualTo("public.stale");
    assertThat(stc.getStatus().getWorstFreshnessLagMs()).isBetween(42_000L, 200_000L);
    assertThat(stc.getStatus().getCdcLagBytes()).isNotNegative();
    assertThat(stc.getStatus().getIngestLagBytes()).isPositive();
    assertThat(stc.getStatus().getIngestLag()).endsWith("iB");
    assertThat(condition(stc, "StreamTablesHealthy").getStatus()).isEqualTo("True");

    // A stream table the workers gave up on (status ERROR) is named with its error.
    try (Connection c = db();
        Statement s = c.createStatement()) {
      s.execute(
          "UPDATE pgtrickle.pgt_stream_tables SET status = 'ERROR', last_error_message ="
              + " 'temporary file size exceeds temp_file_limit (1024kB)' WHERE pgt_name = 'stale'");
    }
    stc =
        await("the stream table in ERROR in the status")
            .atMost(WAIT)
            .until(
                this::current,
                x -> Integer.valueOf(1).equals(x.getStatus().getStreamTablesInError()));
    Condition healthy = condition(stc, "StreamTablesHealthy");
    assertThat(healthy.getStatus()).isEqualTo("False");
    assertThat(healthy.getReason()).isEqualTo("StreamTablesInError");
    assertThat(healthy.getMessage())
        .contains("public.stale: temporary file size exceeds temp_file_limit (1024kB)");
    await("a Warning Event naming it")
        .atMost(WAIT)
        .until(
            () ->
                client().v1().events().inNamespace(NAMESPACE.name()).list().getItems().stream()
                    .anyMatch(
                        e ->
                            "StreamTablesInError".equals(e.getReason())
                                && "Warning".equals(e.getType())
                                && e.getMessage().contains("public.stale")));
    try (Connection c = db();
        Statement s = c.createStatement()) {
      s.execute("UPDATE pgtrickle.pgt_stream_tables SET status = 'ACTIVE'");
    }
    await("the stream table healthy again")
        .atMost(WAIT)
        .until(
            this::current,
            x ->
                condition(x, "StreamTablesHealthy") != null
                    && "True".equals(condition(x, "StreamTablesHealthy").getStatus()));
  }

  @Test
  @Order(4)
  void scalingDownDecommissionsTheRemovedConsumersSlot() {
    client()
        .resources(StreamTableCluster.class)
        .inNamespace(NAMESPACE.name())
        .withName(NAME)
        .patch(MERGE, "{\"spec\":{\"cdc\":{\"replicas\":1}}}");
    await("the StatefulSet scaled down")
        .atMost(WAIT)
        .until(
            () ->
                client()
                    .apps()
                    .statefulSets()
                    .inNamespace(NAMESPACE.name())
                    .withName("orders-cdc")
                    .get()
                    .getSpec()
                    .getReplicas(),
            r -> r == 1);
    // The Job of ordinal 1 runs `cdc-consumer decommission` (kwok completes it); the status
    // forgets ordinal 1, and a later round, reading that back, removes the Job.
    await("ordinal 1 decommissioned")
        .atMost(WAIT)
        .until(this::current, s -> Integer.valueOf(1).equals(s.getStatus().getSlotOrdinals()));
    await("the decommission Job removed")
        .atMost(WAIT)
        .until(
            () -> {
              var job =
                  client()
                      .batch()
                      .v1()
                      .jobs()
                      .inNamespace(NAMESPACE.name())
                      .withName("orders-cdc-drop-1")
                      .get();
              return job == null || job.getMetadata().getDeletionTimestamp() != null;
            });
    assertThat(current().getStatus().getSlotOrdinals()).isEqualTo(1);
    assertThat(
            client().v1().events().inNamespace(NAMESPACE.name()).list().getItems().stream()
                .filter(e -> "SlotsDropped".equals(e.getReason())))
        .isNotEmpty();
  }

  @Test
  @Order(5)
  void withoutAnAutoscalerTheHpaGoesAndMinWorkersRun() {
    client()
        .resources(StreamTableCluster.class)
        .inNamespace(NAMESPACE.name())
        .withName(NAME)
        // The autoscaler's target goes with it: the API server refuses targets without one.
        .patch(
            MERGE,
            "{\"spec\":{\"workers\":{\"autoscaler\":\"none\",\"min\":2,"
                + "\"targetCdcLagMs\":null}}}");
    await("HPA removed, 2 workers")
        .atMost(WAIT)
        .until(
            () ->
                client()
                            .autoscaling()
                            .v2()
                            .horizontalPodAutoscalers()
                            .inNamespace(NAMESPACE.name())
                            .withName("orders-worker")
                            .get()
                        == null
                    && client()
                            .apps()
                            .deployments()
                            .inNamespace(NAMESPACE.name())
                            .withName("orders-worker")
                            .get()
                            .getSpec()
                            .getReplicas()
                        == 2);
    StreamTableCluster stc =
        await("status")
            .atMost(WAIT)
            .until(
                this::current,
                s -> "Disabled".equals(condition(s, "AutoscalingActive").getReason()));
    assertThat(condition(stc, "AutoscalingActive").getStatus()).isEqualTo("False");
  }

  /**
   * Switching the autoscaler on with 2 workers running keeps 2 workers: the operator hands {@code
   * spec.replicas} over (ReplicasHandover) before applying the Deployment without it. Before, the
   * API server removed the field the operator stopped applying and the Deployment ran 1 worker
   * until the HPA scaled it up again. Then, with the workers scaled to 3 as the HPA would, back to
   * {@code none}: the Deployment goes straight to {@code min} (what {@code none} means: min workers
   * run), never below, and the HPA goes. A watch sees every version of the Deployment.
   */
  @Test
  @Order(6)
  void switchingTheAutoscalerNeverDropsTheWorkersBelowMin() throws Exception {
    String ns = NAMESPACE.name();
    var deployment = client().apps().deployments().inNamespace(ns).withName("orders-worker");
    assertThat(deployment.get().getSpec().getReplicas()).as("left by the test before").isEqualTo(2);
    Queue<Integer> seen = new ConcurrentLinkedQueue<>();
    try (Watch watch =
        deployment.watch(
            new ListOptionsBuilder()
                .withResourceVersion(deployment.get().getMetadata().getResourceVersion())
                .build(),
            new Watcher<Deployment>() {
              @Override
              public void eventReceived(Action action, Deployment d) {
                seen.add(d.getSpec().getReplicas());
              }

              @Override
              public void onClose(WatcherException cause) {}
            })) {
      client()
          .resources(StreamTableCluster.class)
          .inNamespace(ns)
          .withName(NAME)
          .patch(MERGE, "{\"spec\":{\"workers\":{\"autoscaler\":\"hpa\"}}}");
      await("the HPA created and the Deployment applied without replicas")
          .atMost(WAIT)
          .until(
              () ->
                  client()
                              .autoscaling()
                              .v2()
                              .horizontalPodAutoscalers()
                              .inNamespace(ns)
                              .withName("orders-worker")
                              .get()
                          != null
                      && !replicasOwners(deployment.get())
                          .contains("Apply:" + StreamTableClusterReconciler.NAME));
      // The HPA controller (15 s sync) would have put a dropped count back to its min: watch a
      // few seconds beyond the apply, then look at every version the watch saw.
      Thread.sleep(3_000);
      assertThat(seen).as("spec.replicas of every version after the switch").isNotEmpty();
      assertThat(seen).as("spec.replicas of every version after the switch").allMatch(r -> r >= 2);
      assertThat(deployment.get().getSpec().getReplicas()).isEqualTo(2);
      assertThat(replicasOwners(deployment.get()))
          .as("the handover manager holds the count until the HPA changes it")
          .contains("Apply:" + ReplicasHandover.FIELD_MANAGER);

      // The HPA scales to 3 (here through the scale subresource, as the HPA controller does) ...
      deployment.scale(3);
      await("3 workers").atMost(WAIT).until(() -> deployment.get().getSpec().getReplicas() == 3);
      seen.clear();
      // ... and the autoscaler is switched off again: min workers, the HPA gone.
      client()
          .resources(StreamTableCluster.class)
          .inNamespace(ns)
          .withName(NAME)
          .patch(MERGE, "{\"spec\":{\"workers\":{\"autoscaler\":\"none\"}}}");
      await("HPA removed, back to min = 2 workers")
          .atMost(WAIT)
          .until(
              () ->
                  client()
                              .autoscaling()
                              .v2()
                              .horizontalPodAutoscalers()
                              .inNamespace(ns)
                              .withName("orders-worker")
                              .get()
                          == null
                      && deployment.get().getSpec().getReplicas() == 2);
      Thread.sleep(3_000);
      assertThat(seen).as("spec.replicas on the way back").allMatch(r -> r >= 2);
      assertThat(deployment.get().getSpec().getReplicas()).isEqualTo(2);
    }
  }

  /** The managers owning the Deployment's spec.replicas, as "operation:manager". */
  private static List<String> replicasOwners(Deployment d) {
    return d.getMetadata().getManagedFields().stream()
        .filter(
            e ->
                e.getFieldsV1() != null
                    && e.getFieldsV1().getAdditionalProperties().get("f:spec")
                        instanceof Map<?, ?> m
                    && m.containsKey("f:replicas"))
        .map(e -> e.getOperation() + ":" + e.getManager())
        .toList();
  }

  /**
   * A second pipeline on the same database (DatabaseClaims): refused in its status, nothing made;
   * deleting it leaves the first one's change log, which the first one still writes to and reads.
   */
  @Test
  @Order(7)
  void aSecondPipelineOnTheSameDatabaseIsRefusedAndItsDeletionKeepsTheChangeLog()
      throws SQLException {
    apply(
        "orders2",
        "{postgresql: {host: 127.0.0.1, port: "
            + postgres.port()
            + ", database: postgres, secretRef: {name: pg}}, workers: {min: 1, max: 1,"
            + " autoscaler: none}}");
    StreamTableCluster refused =
        await("Failed")
            .atMost(WAIT)
            .until(
                () ->
                    client()
                        .resources(StreamTableCluster.class)
                        .inNamespace(NAMESPACE.name())
                        .withName("orders2")
                        .get(),
                s ->
                    s.getStatus() != null
                        && s.getStatus().getPhase() == StreamTableClusterPhase.Failed);
    assertThat(refused.getStatus().getPhaseReason()).isEqualTo("DatabaseInUse");
    assertThat(refused.getStatus().getMessage())
        .contains("StreamTableCluster " + NAMESPACE.name() + "/" + NAME)
        .contains("one StreamTableCluster per database");
    assertThat(
            client()
                .apps()
                .statefulSets()
                .inNamespace(NAMESPACE.name())
                .withName("orders2-cdc")
                .get())
        .isNull();
    assertThat(
            client()
                .apps()
                .deployments()
                .inNamespace(NAMESPACE.name())
                .withName("orders2-worker")
                .get())
        .isNull();

    client()
        .resources(StreamTableCluster.class)
        .inNamespace(NAMESPACE.name())
        .withName("orders2")
        .delete();
    await("orders2 deleted")
        .atMost(WAIT)
        .until(
            () ->
                client()
                        .resources(StreamTableCluster.class)
                        .inNamespace(NAMESPACE.name())
                        .withName("orders2")
                        .get()
                    == null);
    try (Connection c = db();
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT count(*) FROM pg_namespace WHERE nspname = 'pgtrickle_changelog'")) {
      rs.next();
      assertThat(rs.getInt(1)).as("the first pipeline's change log").isEqualTo(1);
    }
    assertThat(current().getStatus().getPhase()).isEqualTo(StreamTableClusterPhase.Running);

    // The same database under another name (localhost, not 127.0.0.1): the specs differ, the
    // database itself records the first pipeline as its holder (DatabaseHolder). Before
    // 2026-12-06 this one ran beside the first, and its deletion dropped the first's change log.
    apply(
        "orders3",
        "{postgresql: {host: localhost, port: "
            + postgres.port()
            + ", database: postgres, secretRef: {name: pg}}, workers: {min: 1, max: 1,"
            + " autoscaler: none}}");
    StreamTableCluster sameDatabase =
        await("orders3 Failed")
            .atMost(WAIT)
            .until(
                () ->
                    client()
                        .resources(StreamTableCluster.class)
                        .inNamespace(NAMESPACE.name())
                        .withName("orders3")
                        .get(),
                s ->
                    s.getStatus() != null
                        && s.getStatus().getPhase() == StreamTableClusterPhase.Failed);
    assertThat(sameDatabase.getStatus().getPhaseReason()).isEqualTo("DatabaseInUse");
    assertThat(sameDatabase.getStatus().getMessage())
        .contains("StreamTableCluster " + NAMESPACE.name() + "/" + NAME);
    assertThat(
            client()
                .apps()
                .deployments()
                .inNamespace(NAMESPACE.name())
                .withName("orders3-worker")
                .get())
        .isNull();
    client()
        .resources(StreamTableCluster.class)
        .inNamespace(NAMESPACE.name())
        .withName("orders3")
        .delete();
    await("orders3 deleted")
        .atMost(WAIT)
        .until(
            () ->
                client()
                        .resources(StreamTableCluster.class)
                        .inNamespace(NAMESPACE.name())
                        .withName("orders3")
                        .get()
                    == null);
    try (Connection c = db();
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT count(*) FROM pg_namespace WHERE nspname = 'pgtrickle_changelog'")) {
      rs.next();
      assertThat(rs.getInt(1)).as("the first pipeline's change log, kept").isEqualTo(1);
    }
    assertThat(current().getStatus().getPhase()).isEqualTo(StreamTableClusterPhase.Running);
  }

  @Test
  @Order(8)
  void deletionDropsTheSlotsAndTheChangeLogAndKeepsTheStreamTables() throws SQLException {
    client()
        .resources(StreamTableCluster.class)
        .inNamespace(NAMESPACE.name())
        .withName(NAME)
        .delete();
    await("deleted").atMost(WAIT).until(() -> current() == null);
    try (Connection c = db();
        Statement s = c.createStatement()) {
      ResultSet rs =
          s.executeQuery("SELECT count(*) FROM pg_namespace WHERE nspname = 'pgtrickle_changelog'");
      rs.next();
      assertThat(rs.getInt(1)).as("the change log schema").isZero();
      // kwok completes the decommission Job without running it: the operator's sweep drops
      // the slot the test made for consumer 0.
      rs =
          s.executeQuery(
              "SELECT count(*) FROM pg_replication_slots WHERE slot_name LIKE 'pgtrickle_orders%'");
      rs.next();
      assertThat(rs.getInt(1)).as("the pipeline's slots").isZero();
      rs = s.executeQuery("SELECT count(*) FROM pgtrickle.pgt_stream_tables");
      rs.next();
      assertThat(rs.getInt(1)).as("the catalog stays").isEqualTo(3);
    }
    await("children collected")
        .atMost(WAIT)
        .until(
            () ->
                client()
                        .apps()
                        .statefulSets()
                        .inNamespace(NAMESPACE.name())
                        .withName("orders-cdc")
                        .get()
                    == null);
  }

  /**
   * A clusterRef to a PostgresCluster that does not exist: Failed, naming it. Creating the cluster
   * wakes the pipeline at once (the PostgresCluster informer), well before its 30 s retry; without
   * Patroni behind the pods it has no primary yet, which is Pending, not a failure.
   */
  @Test
  @Order(9)
  void aMissingPostgresClusterIsNamedAndItsCreationWakesThePipeline() {
    apply("refd", "{postgresql: {clusterRef: {name: db}, database: postgres}, workers: {max: 2}}");
    StreamTableCluster failed =
        await("Failed")
            .atMost(WAIT)
            .until(
                () ->
                    client()
                        .resources(StreamTableCluster.class)
                        .inNamespace(NAMESPACE.name())
                        .withName("refd")
                        .get(),
                s ->
                    s.getStatus() != null
                        && s.getStatus().getPhase() == StreamTableClusterPhase.Failed);
    assertThat(failed.getStatus().getPhaseReason()).isEqualTo("ClusterNotFound");
    assertThat(failed.getStatus().getMessage())
        .contains("spec.postgresql.clusterRef: PostgresCluster db does not exist");
    client()
        .resource(
            Serialization.unmarshal(
                "apiVersion: postgres.example.com/v1\nkind: PostgresCluster\nmetadata:\n  name:"
                    + " db\n  namespace: "
                    + NAMESPACE.name()
                    + "\nspec: {version: 16, replicas: 1, storage: {size: 1Gi}}\n",
                io.pgtrickle.operator.api.PostgresCluster.class))
        .create();
    StreamTableCluster pending =
        await("woken by the PostgresCluster")
            .atMost(Duration.ofSeconds(25))
            .until(
                () ->
                    client()
                        .resources(StreamTableCluster.class)
                        .inNamespace(NAMESPACE.name())
                        .withName("refd")
                        .get(),
                s -> s.getStatus().getPhase() == StreamTableClusterPhase.Pending);
    assertThat(pending.getStatus().getPhaseReason()).isEqualTo("NoPrimary");
    assertThat(condition(pending, PipelineStatusCalculator.CHANGE_LOG_READY).getStatus())
        .isEqualTo("False");

    // A pipeline on a PostgresCluster that never existed goes at once when deleted: its change
    // log (a schema of that database) was never created. Before, removing it failed on a
    // NullPointerException for 5 minutes, then a Warning ChangeLogLeftBehind.
    apply(
        "ghost",
        "{postgresql: {clusterRef: {name: nosuch}, database: postgres}, workers: {max: 1}}");
    await("ghost Failed")
        .atMost(WAIT)
        .until(
            () ->
                client()
                    .resources(StreamTableCluster.class)
                    .inNamespace(NAMESPACE.name())
                    .withName("ghost")
                    .get(),
            s ->
                s.getStatus() != null
                    && s.getStatus().getPhase() == StreamTableClusterPhase.Failed);
    client()
        .resources(StreamTableCluster.class)
        .inNamespace(NAMESPACE.name())
        .withName("ghost")
        .delete();
    await("ghost deleted")
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                client()
                        .resources(StreamTableCluster.class)
                        .inNamespace(NAMESPACE.name())
                        .withName("ghost")
                        .get()
                    == null);
  }

  /**
   * spec.monitoring.otlp.headersSecretRef to a Secret that does not exist. Before, the pods' non
   * optional secretKeyRef kept them in CreateContainerConfigError: change capture and refreshes
   * stopped for a telemetry setting (on a running pipeline, the StatefulSet's rolling update
   * stopped the consumer). Now the pipeline runs, MonitoringReady names the Secret and the field,
   * and creating the Secret rolls the pods once to read it.
   */
  @Test
  @Order(10)
  void aMissingOtlpHeadersSecretStopsNeitherCaptureNorRefreshes() {
    apply(
        "traced",
        "{postgresql: {host: 127.0.0.1, port: "
            + postgres.port()
            + ", database: postgres, secretRef: {name: pg}}, workers: {max: 2}, monitoring:"
            + " {otlp: {endpoint: 'https://collector.example.com', protocol: http/protobuf,"
            + " headersSecretRef: {name: otlp-auth}}}}");
    StreamTableCluster running =
        await("Running without the headers")
            .atMost(WAIT)
            .until(
                () -> stc("traced"),
                s ->
                    s.getStatus() != null
                        && s.getStatus().getPhase() == StreamTableClusterPhase.Running
                        && s.getStatus().getConditions().stream()
                            .anyMatch(
                                c ->
                                    PipelineStatusCalculator.MONITORING_READY.equals(c.getType())
                                        && "False".equals(c.getStatus())));
    Condition monitoring = condition(running, PipelineStatusCalculator.MONITORING_READY);
    assertThat(monitoring.getReason()).isEqualTo("SecretNotFound");
    assertThat(monitoring.getMessage())
        .contains("Secret otlp-auth (spec.monitoring.otlp.headersSecretRef) does not exist")
        .contains("export telemetry without the headers");
    assertThat(headersVersion("traced-worker")).isEqualTo(SecretVersions.ABSENT);

    var secret =
        client()
            .resource(
                new io.fabric8.kubernetes.api.model.SecretBuilder()
                    .withNewMetadata()
                    .withName("otlp-auth")
                    .withNamespace(NAMESPACE.name())
                    .endMetadata()
                    .addToStringData("headers", "Authorization=Bearer t")
                    .build())
            .create();
    String version = SecretVersions.of(secret);
    await("pods rolled to read the Secret")
        .atMost(WAIT)
        .until(
            () ->
                version.equals(headersVersion("traced-worker"))
                    && version.equals(headersVersion("traced-cdc")));
    await("MonitoringReady")
        .atMost(WAIT)
        .until(
            () -> stc("traced"),
            s ->
                "True".equals(condition(s, PipelineStatusCalculator.MONITORING_READY).getStatus()));

    // The database's Secret: a change of its data rolls the pods to read it; while it does not
    // exist the pods are left as they are (new ones could not start without it).
    Secret pg = client().secrets().inNamespace(NAMESPACE.name()).withName("pg").get();
    String stamp = SecretVersions.of(pg);
    await("database Secret stamped")
        .atMost(WAIT)
        .until(() -> stamp.equals(stamped("traced-worker", SecretVersions.DATABASE_ANNOTATION)));
    client().secrets().inNamespace(NAMESPACE.name()).withName("pg").delete();
    await("Failed without its Secret")
        .atMost(WAIT)
        .until(() -> stc("traced"), s -> "SecretNotFound".equals(s.getStatus().getPhaseReason()));
    assertThat(stamped("traced-cdc", SecretVersions.DATABASE_ANNOTATION)).isEqualTo(stamp);
    assertThat(stamped("traced-worker", SecretVersions.DATABASE_ANNOTATION)).isEqualTo(stamp);
    pg.getMetadata().setResourceVersion(null);
    pg.getMetadata().setUid(null);
    pg.getMetadata().setCreationTimestamp(null);
    pg.getMetadata().setManagedFields(null);
    // Created again with the same data (another resourceVersion): the same stamp, nothing to roll.
    Secret recreated = client().resource(pg).create();
    assertThat(SecretVersions.of(recreated)).isEqualTo(stamp);
    await("Running again with its Secret")
        .atMost(WAIT)
        .until(() -> stc("traced"), s -> !"SecretNotFound".equals(s.getStatus().getPhaseReason()));
    assertThat(stamped("traced-worker", SecretVersions.DATABASE_ANNOTATION)).isEqualTo(stamp);
    // Its data changed (a key the pods do not read, so the pipeline keeps its password): rolled.
    String again =
        SecretVersions.of(
            Edits.edit(
                client().secrets().inNamespace(NAMESPACE.name()).withName("pg"),
                s -> {
                  s.getData().put("rotated-at", "MjAyNi0xMi0wNw==");
                  return s;
                }));
    assertThat(again).isNotEqualTo(stamp);
    await("pods rolled to read the new Secret")
        .atMost(WAIT)
        .until(
            () ->
                again.equals(stamped("traced-worker", SecretVersions.DATABASE_ANNOTATION))
                    && again.equals(stamped("traced-cdc", SecretVersions.DATABASE_ANNOTATION)));
    client()
        .resources(StreamTableCluster.class)
        .inNamespace(NAMESPACE.name())
        .withName("traced")
        .delete();
  }

  /** The OTLP headers' version on a workload's pod template. */
  private static String headersVersion(String workload) {
    return stamped(workload, SecretVersions.OTLP_HEADERS_ANNOTATION);
  }

  /** An annotation of a workload's pod template. */
  private static String stamped(String workload, String annotation) {
    var template =
        workload.endsWith("-cdc")
            ? client()
                .apps()
                .statefulSets()
                .inNamespace(NAMESPACE.name())
                .withName(workload)
                .get()
                .getSpec()
                .getTemplate()
            : client()
                .apps()
                .deployments()
                .inNamespace(NAMESPACE.name())
                .withName(workload)
                .get()
                .getSpec()
                .getTemplate();
    var annotations = template.getMetadata().getAnnotations();
    return annotations == null ? null : annotations.get(annotation);
  }

  private static StreamTableCluster stc(String name) {
    return client()
        .resources(StreamTableCluster.class)
        .inNamespace(NAMESPACE.name())
        .withName(name)
        .get();
  }

  private static void apply(String spec) {
    apply(NAME, spec);
  }

  private static void apply(String name, String spec) {
    String yaml =
        "apiVersion: trickle-labs.io/v1alpha1\nkind: StreamTableCluster\nmetadata:\n  name: "
            + name
            + "\n  namespace: "
            + NAMESPACE.name()
            + "\nspec: "
            + spec
            + "\n";
    client().resource(Serialization.unmarshal(yaml, StreamTableCluster.class)).create();
  }

  private StreamTableCluster current() {
    return client()
        .resources(StreamTableCluster.class)
        .inNamespace(NAMESPACE.name())
        .withName(NAME)
        .get();
  }

  private static Condition condition(StreamTableCluster s, String type) {
    return s.getStatus() == null
        ? null
        : s.getStatus().getConditions().stream()
            .filter(c -> type.equals(c.getType()))
            .findFirst()
            .orElse(null);
  }

  private static Connection db() throws SQLException {
    return DriverManager.getConnection(postgres.jdbcUrl());
  }

  private static KubernetesClient client() {
    return NAMESPACE.client();
  }
}
