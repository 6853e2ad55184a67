package io.pgtrickle.operator.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.testbed.ClusterChildren;
import io.pgtrickle.testbed.OperatorProcess;
import io.pgtrickle.testbed.TestNamespace;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The operator as it runs in a pod: its own process, leader election on a Lease, probes and
 * Prometheus metrics on its HTTP port, and configuration errors that stop it with a clear message.
 */
class OperatorRuntimeIT {

  @RegisterExtension static final TestNamespace NAMESPACE = new TestNamespace();
  private static final String LEASE = "pg-trickle-operator";

  private Map<String, String> env() {
    return Map.of(
        "OPERATOR_NAMESPACE", NAMESPACE.name(),
        "WATCH_NAMESPACES", NAMESPACE.name(),
        "LEADER_ELECTION", "true");
  }

  private String holder() {
    Lease lease = NAMESPACE.client().leases().inNamespace(NAMESPACE.name()).withName(LEASE).get();
    return lease == null || lease.getSpec() == null ? null : lease.getSpec().getHolderIdentity();
  }

  private void createCluster(String name) {
    String yaml =
        "apiVersion: postgres.example.com/v1\nkind: PostgresCluster\nmetadata:\n  name: "
            + name
            + "\n  namespace: "
            + NAMESPACE.name()
            + "\nspec:\n  version: 16\n  replicas: 1\n  storage:\n    size: 1Gi\n";
    NAMESPACE
        .client()
        .resource(
            NAMESPACE.client().getKubernetesSerialization().unmarshal(yaml, PostgresCluster.class))
        .create();
  }

  private void awaitReconciled(String name) {
    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () -> {
              PostgresCluster cluster =
                  NAMESPACE
                      .client()
                      .resources(PostgresCluster.class)
                      .inNamespace(NAMESPACE.name())
                      .withName(name)
                      .get();
              return cluster.getStatus() != null
                  && NAMESPACE
                          .client()
                          .apps()
                          .statefulSets()
                          .inNamespace(NAMESPACE.name())
                          .withName(name)
                          .get()
                      != null;
            });
  }

  /** Sum of a metric's samples whose labels contain every given label. */
  static double metric(String scrape, String name, String... labels) {
    double sum = 0;
    Matcher m =
        Pattern.compile("(?m)^" + Pattern.quote(name) + "(\\{[^}]*})? ([0-9.eE+-]+)$")
            .matcher(scrape);
    boolean found = false;
    while (m.find()) {
      String labelText = m.group(1) == null ? "" : m.group(1);
      boolean matches = true;
      for (String label : labels) {
        matches &= labelText.contains(label);
      }
      if (matches) {
        sum += Double.parseDouble(m.group(2));
        found = true;
      }
    }
    return found ? sum : Double.NaN;
  }

  @Test
  void onlyTheLeaderReconcilesAndTheStandbyTakesOverWhenItDies() throws Exception {
    try (OperatorProcess first = OperatorProcess.start(NAMESPACE.testBed(), "operator-a", env())) {
      await().atMost(Duration.ofSeconds(60)).until(() -> "operator-a".equals(holder()));
      try (OperatorProcess second =
          OperatorProcess.start(NAMESPACE.testBed(), "operator-b", env())) {
        await()
            .atMost(Duration.ofSeconds(60))
            .untilAsserted(
                () -> {
                  HttpResponse<String> ready = second.get("/readyz");
                  assertThat(ready).isNotNull();
                  assertThat(ready.body()).isEqualTo("standby");
                });
        await()
            .atMost(Duration.ofSeconds(30))
            .untilAsserted(() -> assertThat(first.get("/readyz").body()).isEqualTo("ready"));
        assertThat(first.get("/healthz").statusCode()).isEqualTo(200);
        assertThat(second.get("/healthz").statusCode()).isEqualTo(200);

        createCluster("led");
        awaitReconciled("led");

        String leaderMetrics = first.get("/metrics").body();
        // Every operator metric of the chart's Grafana dashboard is served.
        assertThat(
                io.pgtrickle.operator.packaging.DashboardQueries.missing(
                    io.pgtrickle.operator.packaging.DashboardQueries.metrics(
                        io.pgtrickle.operator.packaging.DashboardQueries.dashboardExpressions(),
                        "postgres_operator_"),
                    leaderMetrics))
            .as("dashboard metrics the operator does not serve")
            .isEmpty();
        assertThat(
                metric(
                    leaderMetrics,
                    "postgres_operator_reconciliations_total",
                    "controller=\"postgrescluster\"",
                    "result=\"success\""))
            .isGreaterThan(0);
        assertThat(
                metric(
                    leaderMetrics,
                    "postgres_operator_reconcile_duration_seconds_count",
                    "controller=\"postgrescluster\""))
            .isGreaterThan(0);
        assertThat(
                metric(
                    leaderMetrics,
                    "postgres_operator_reconciliation_errors_total",
                    "controller=\"postgrescluster\""))
            .isNotNaN();
        assertThat(leaderMetrics).doesNotContain("resource.name").doesNotContain("name=\"led\"");
        assertThat(metric(second.get("/metrics").body(), "postgres_operator_reconciliations_total"))
            .as("the standby reconciles nothing")
            .isNaN();

        double before = metric(leaderMetrics, "postgres_operator_reconciliations_total");
        createCluster("led-too");
        awaitReconciled("led-too");
        assertThat(metric(first.get("/metrics").body(), "postgres_operator_reconciliations_total"))
            .as("the counter moves")
            .isGreaterThan(before);

        long killed = System.nanoTime();
        first.kill();
        await().atMost(Duration.ofSeconds(40)).until(() -> "operator-b".equals(holder()));
        double takeoverSeconds = (System.nanoTime() - killed) / 1e9;
        // The Lease lasts 15 s; the standby retries every 2 s.
        assertThat(takeoverSeconds).isLessThan(15 + 2 + 5);
        createCluster("after-takeover");
        awaitReconciled("after-takeover");
        await()
            .atMost(Duration.ofSeconds(30))
            .untilAsserted(() -> assertThat(second.get("/readyz").body()).isEqualTo("ready"));
      }
    }
  }

  @Test
  void operatorKilledMidReconcileConvergesWithoutDuplicatesOrOrphans() throws Exception {
    Map<String, String> env =
        Map.of("WATCH_NAMESPACES", NAMESPACE.name(), "LEADER_ELECTION", "false");
    List<String> names = List.of("k0", "k1", "k2", "k3", "k4");
    try (OperatorProcess first =
        OperatorProcess.start(NAMESPACE.testBed(), "operator-killed", env)) {
      for (String name : names) {
        createCluster(name);
      }
      // SIGKILL as soon as the first cluster got a status: the others are mid-flight.
      await().atMost(Duration.ofSeconds(60)).until(() -> statusOf("k0") != null);
      first.kill();
    }
    try (OperatorProcess second =
        OperatorProcess.start(NAMESPACE.testBed(), "operator-restarted", env)) {
      for (String name : names) {
        awaitReconciled(name);
        String uid =
            NAMESPACE
                .client()
                .resources(PostgresCluster.class)
                .inNamespace(NAMESPACE.name())
                .withName(name)
                .get()
                .getMetadata()
                .getUid();
        await()
            .atMost(Duration.ofSeconds(30))
            .untilAsserted(
                () -> {
                  List<HasMetadata> children = children(name);
                  assertThat(children).as(name + " children").hasSize(ClusterChildren.COUNT);
                  assertThat(children)
                      .allSatisfy(
                          child ->
                              assertThat(child.getMetadata().getOwnerReferences())
                                  .singleElement()
                                  .satisfies(o -> assertThat(o.getUid()).isEqualTo(uid)));
                });
      }
    }
  }

  private Object statusOf(String name) {
    PostgresCluster cluster =
        NAMESPACE
            .client()
            .resources(PostgresCluster.class)
            .inNamespace(NAMESPACE.name())
            .withName(name)
            .get();
    return cluster == null ? null : cluster.getStatus();
  }

  private List<HasMetadata> children(String cluster) {
    return ClusterChildren.of(NAMESPACE.client(), NAMESPACE.name(), cluster);
  }

  /**
   * The test harness's own fault: the HTTP port it picked was taken before the operator bound it
   * (CI runs two test streams on one machine), which failed a test once (2026-12-02). The operator
   * exits on the bind error and {@link OperatorProcess#start} starts it again on another port.
   */
  @Test
  void anOperatorWhosePortWasTakenIsStartedAgainOnAnother() throws Exception {
    try (ServerSocket taken = new ServerSocket(0)) {
      AtomicInteger calls = new AtomicInteger();
      IntSupplier ports =
          () -> {
            if (calls.getAndIncrement() == 0) {
              return taken.getLocalPort();
            }
            try (ServerSocket free = new ServerSocket(0)) {
              return free.getLocalPort();
            } catch (IOException e) {
              throw new UncheckedIOException(e);
            }
          };
      try (OperatorProcess operator =
          OperatorProcess.start(
              NAMESPACE.testBed(),
              "operator-port-taken",
              Map.of("WATCH_NAMESPACES", NAMESPACE.name(), "LEADER_ELECTION", "false"),
              ports)) {
        assertThat(calls).hasValue(2);
        assertThat(operator.port).isNotEqualTo(taken.getLocalPort());
        assertThat(operator.alive()).isTrue();
        assertThat(operator.get("/healthz").statusCode()).isEqualTo(200);
      }
    }
  }

  @Test
  void aBadSettingStopsTheOperatorWithAClearMessage() throws Exception {
    try (OperatorProcess bad =
        OperatorProcess.start(
            NAMESPACE.testBed(),
            "operator-bad",
            Map.of("WATCH_NAMESPACES", "Bad_Name", "LEADER_ELECTION", "maybe"))) {
      await().atMost(Duration.ofSeconds(30)).until(() -> !bad.alive());
      assertThat(bad.exitCode()).isEqualTo(2);
      assertThat(bad.output())
          .contains("WATCH_NAMESPACES entry Bad_Name is not a namespace name")
          .contains("LEADER_ELECTION=maybe must be true or false");
    }
  }
}
