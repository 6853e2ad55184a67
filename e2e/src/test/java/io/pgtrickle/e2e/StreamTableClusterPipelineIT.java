package io.pgtrickle.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgtrickle.operator.packaging.DashboardQueries;
import io.pgtrickle.operator.status.Conditions;
import io.pgtrickle.operator.streams.spec.PipelinePods;
import io.pgtrickle.operator.testbed.HaCluster;
import io.pgtrickle.testbed.ProgramPods;
import io.pgtrickle.testbed.TestNamespace;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
 * and drops the slot and the change log, and leaves the stream table. The NATS change log and a
 * failover of a 3-member cluster: {@code StreamTableClusterFailoverIT}.
 */
class StreamTableClusterPipelineIT {

  @RegisterExtension static final TestNamespace NAMESPACE = new TestNamespace();

  private static ProgramPods programs;
  private static HaCluster postgres;
  private static Pipeline pipeline;

  @BeforeAll
  static void start() {
    programs = new ProgramPods(NAMESPACE.testBed(), NAMESPACE.name());
    // One member keeps the test lean; the failover of a 3-member cluster, with the NATS change log,
    // is StreamTableClusterFailoverIT.
    postgres =
        HaCluster.start(
            NAMESPACE.testBed(),
            NAMESPACE.name(),
            "pg",
            HaCluster.testedMajor(),
            false,
            1,
            Map.of());
    pipeline = new Pipeline(NAMESPACE.client(), NAMESPACE.name(), postgres);
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

  /** A pipeline pod's /metrics, through its pod IP. */
  private static String scrape(String pod) throws Exception {
    String ip =
        NAMESPACE
            .client()
            .pods()
            .inNamespace(NAMESPACE.name())
            .withName(pod)
            .get()
            .getStatus()
            .getPodIP();
    HttpResponse<String> response =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(
                        URI.create("http://" + ip + ":" + PipelinePods.METRICS_PORT + "/metrics"))
                    .timeout(Duration.ofSeconds(10))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).as("/metrics of %s", pod).isEqualTo(200);
    return response.body();
  }

  @Test
  void aStreamTableFollowsItsSourceThroughTheRealPipeline() throws Exception {
    pipeline.create(
        "  postgresql: {clusterRef: {name: pg}, database: postgres}\n"
            + "  workers: {min: 1, max: 2, autoscaler: none}\n");
    pipeline.awaitRunningWithCatalog();
    pipeline.createStreamTable();

    // Rounds of writes of every kind; after each the stream table catches up on its own schedule.
    pipeline.execute(
        "INSERT INTO orders SELECT g, 'c' || (g % 7), g * 2 FROM generate_series(51, 250) g",
        "UPDATE orders SET amount = amount + 1000 WHERE id % 3 = 0");
    pipeline.awaitEqualToRecomputation("after inserts and updates");
    pipeline.execute(
        "DELETE FROM orders WHERE id % 4 = 0",
        "UPDATE orders SET category = 'moved' WHERE id % 10 = 1");
    pipeline.awaitEqualToRecomputation("after deletes and a changed group");
    assertThat(pipeline.scalar("SELECT status FROM pgtrickle.pgt_stream_tables"))
        .isEqualTo("ACTIVE");

    // Faults under a write load; after each the stream table converges to its query's result:
    // nothing lost, nothing applied twice (a sum would show either).
    String worker = pipeline.workerPod();
    pipeline.underWrites(
        () -> NAMESPACE.client().pods().inNamespace(NAMESPACE.name()).withName(worker).delete());
    pipeline.awaitEqualToRecomputation("after worker pod " + worker + " was deleted under writes");
    pipeline.underWrites(
        () ->
            NAMESPACE
                .client()
                .pods()
                .inNamespace(NAMESPACE.name())
                .withName(Pipeline.NAME + "-cdc-0")
                .delete());
    pipeline.awaitEqualToRecomputation("after the CDC pod was deleted under writes");
    Set<Integer> written = pipeline.underWrites(() -> postgres.pods().crash(postgres.primaryPod()));
    pipeline.awaitEqualToRecomputation("after PostgreSQL crashed under writes");
    assertThat(
            pipeline.scalar(
                "SELECT count(*) FROM orders WHERE id IN ("
                    + written.stream().map(String::valueOf).reduce((a, b) -> a + "," + b).get()
                    + ")"))
        .as("every acknowledged insert is there")
        .isEqualTo(String.valueOf(written.size()));
    assertThat(pipeline.scalar("SELECT status FROM pgtrickle.pgt_stream_tables"))
        .isEqualTo("ACTIVE");
    // Patroni drops the slots it does not know when it starts PostgreSQL again; the pipeline's
    // are its permanent slots (ignore_slots on 17+), so the restart cost no slot (and no gap, no
    // full refresh).
    assertThat(Files.readString(programs.log(Pipeline.NAME + "-cdc-0")))
        .as("the CDC slot survived PostgreSQL's crash and restart")
        .doesNotContain("was missing after a reconnect");
    await("the status counts the stream table")
        .atMost(Pipeline.WAIT)
        .until(() -> pipeline.current().getStatus().getStreamTables(), n -> n != null && n == 1);
    // The operator's read of the stream tables in ERROR works against the real catalog.
    assertThat(
            Conditions.find(pipeline.current().getStatus().getConditions(), "StreamTablesHealthy")
                .map(c -> c.getStatus() + " " + c.getReason()))
        .contains("True NoneInError");
    assertThat(Files.readString(programs.log(pipeline.workerPod())))
        .doesNotContain(postgres.password());

    // The change log is pruned behind the workers' acknowledgments: the CDC consumer, which only
    // publishes, is no consumer (it registered `default` once, and nothing was ever pruned).
    assertThat(pipeline.scalar("SELECT string_agg(name, ',') FROM pgtrickle_changelog.consumers"))
        .isEqualTo("pgtrickle-worker");
    await("the acknowledged change events pruned")
        .atMost(Pipeline.WAIT)
        .until(
            () -> pipeline.scalar("SELECT count(*) FROM pgtrickle_changelog.events"), "0"::equals);

    // The chart's stream tables dashboard and alerts name only metrics these programs serve.
    List<String> exprs = new ArrayList<>(DashboardQueries.streamTableDashboardExpressions());
    exprs.addAll(DashboardQueries.ruleTemplateExpressions());
    Set<String> wanted = DashboardQueries.metrics(exprs, "pg_trickle_");
    assertThat(wanted).hasSizeGreaterThan(10);
    await("every metric of the dashboard and alerts served by the CDC and worker pods")
        .atMost(Pipeline.WAIT)
        .untilAsserted(
            () ->
                assertThat(
                        DashboardQueries.missing(
                            wanted,
                            scrape(Pipeline.NAME + "-cdc-0") + scrape(pipeline.workerPod())))
                    .isEmpty());

    pipeline.deleteAndAwaitGone();
    assertThat(
            pipeline.scalar(
                "SELECT count(*) FROM pg_replication_slots WHERE slot_type = 'logical'"))
        .isEqualTo("0");
    assertThat(
            pipeline.scalar(
                "SELECT count(*) FROM pg_namespace WHERE nspname = 'pgtrickle_changelog'"))
        .isEqualTo("0");
    assertThat(pipeline.scalar("SELECT count(*) FROM category_totals")).isNotEqualTo("0");
    assertThat(pipeline.difference()).as("the stream table left as it was").isEmpty();
  }
}
