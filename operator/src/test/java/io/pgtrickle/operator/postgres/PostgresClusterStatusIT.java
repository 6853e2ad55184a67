package io.pgtrickle.operator.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgtrickle.operator.api.ClusterPhase;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.testbed.OperatorRunner;
import io.pgtrickle.testbed.TestBed;
import io.pgtrickle.testbed.TestNamespace;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The first reconciler on the real API server, and the kubectl view of the resource. */
class PostgresClusterStatusIT {

  @RegisterExtension static final TestNamespace NAMESPACE = new TestNamespace();

  private OperatorRunner operator;

  @AfterEach
  void stopOperator() {
    if (operator != null) {
      operator.close();
    }
  }

  private OperatorRunner startOperator() {
    return OperatorRunner.start(NAMESPACE.testBed(), NAMESPACE.name());
  }

  private PostgresCluster apply(String name, int replicas) {
    String yaml =
        """
        apiVersion: postgres.example.com/v1
        kind: PostgresCluster
        metadata:
          name: %s
          namespace: %s
        spec:
          version: 16
          replicas: %d
          storage:
            size: 10Gi
        """
            .formatted(name, NAMESPACE.name(), replicas);
    return NAMESPACE.client().resource(yaml(yaml)).serverSideApply();
  }

  private static PostgresCluster yaml(String yaml) {
    return TestBed.shared()
        .client()
        .getKubernetesSerialization()
        .unmarshal(yaml, PostgresCluster.class);
  }

  private PostgresCluster get(String name) {
    return NAMESPACE
        .client()
        .resources(PostgresCluster.class)
        .inNamespace(NAMESPACE.name())
        .withName(name)
        .get();
  }

  @Test
  void newClusterIsPendingWithReplicasAndProgressingCondition() {
    operator = startOperator();
    apply("my-cluster", 3);

    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () -> {
              PostgresCluster cluster = get("my-cluster");
              assertThat(cluster.getStatus()).isNotNull();
              // Pending until pods exist, then Creating: with no volume provisioner in this
              // namespace the pods stay unscheduled, so no member becomes ready.
              assertThat(cluster.getStatus().getPhase())
                  .isIn(ClusterPhase.Pending, ClusterPhase.Creating);
              assertThat(cluster.getStatus().getReplicas()).isEqualTo("0/3");
              assertThat(cluster.getStatus().getObservedGeneration())
                  .isEqualTo(cluster.getMetadata().getGeneration());
              assertThat(cluster.getStatus().getConditions())
                  .anySatisfy(
                      c -> {
                        assertThat(c.getType()).isEqualTo("Progressing");
                        assertThat(c.getStatus()).isEqualTo("True");
                        assertThat(c.getLastTransitionTime()).isNotBlank();
                      });
            });

    TestBed.Result table =
        NAMESPACE.testBed().kubectl("get", "postgrescluster", "-n", NAMESPACE.name());
    assertThat(table.ok()).as(table.output()).isTrue();
    String[] lines = table.output().strip().split("\n");
    assertThat(lines[0].split("\\s+"))
        .containsExactly("NAME", "VERSION", "REPLICAS", "STATUS", "VOLUMES", "AGE");
    assertThat(lines[1].split("\\s+")).startsWith("my-cluster", "16", "0/3");
    assertThat(lines[1].split("\\s+")[3]).isIn("Pending", "Creating");

    TestBed.Result wide =
        NAMESPACE.testBed().kubectl("get", "pgc", "-n", NAMESPACE.name(), "-o", "wide");
    assertThat(wide.ok()).as(wide.output()).isTrue();
    assertThat(wide.output().strip().split("\n")[0].split("\\s+"))
        .containsExactly(
            "NAME",
            "VERSION",
            "REPLICAS",
            "STATUS",
            "VOLUMES",
            "PRIMARY",
            "STORAGE",
            "ARCHIVING",
            "REASON",
            "AGE");

    TestBed.Result byShortName = NAMESPACE.testBed().kubectl("get", "pgc", "-n", NAMESPACE.name());
    assertThat(byShortName.output()).contains("my-cluster");
  }

  @Test
  void statusFollowsSpecChanges() {
    operator = startOperator();
    apply("scaled", 3);
    await().atMost(Duration.ofSeconds(30)).until(() -> "0/3".equals(replicasOf("scaled")));

    apply("scaled", 5);
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () -> {
              PostgresCluster cluster = get("scaled");
              assertThat(cluster.getStatus().getReplicas()).isEqualTo("0/5");
              assertThat(cluster.getStatus().getObservedGeneration()).isEqualTo(2L);
            });
  }

  @Test
  void restartingTheOperatorLeavesAConvergedStatusUntouched() throws InterruptedException {
    operator = startOperator();
    apply("stable", 2);
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                get("stable").getStatus() != null
                    && get("stable").getStatus().getPhase() == ClusterPhase.Creating);
    // Converged: the pods exist (unschedulable here, so never ready) and nothing else moves.
    // Settled: the resource version stays the same for 3 s (a pod event may still move the
    // status once after the phase is reached; a loaded machine delays it).
    String[] lastSeen = {get("stable").getMetadata().getResourceVersion()};
    long[] unchangedSince = {System.nanoTime()};
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(250))
        .until(
            () -> {
              String now = get("stable").getMetadata().getResourceVersion();
              if (!now.equals(lastSeen[0])) {
                lastSeen[0] = now;
                unchangedSince[0] = System.nanoTime();
              }
              return System.nanoTime() - unchangedSince[0] >= Duration.ofSeconds(3).toNanos();
            });
    operator.close();
    String resourceVersion = get("stable").getMetadata().getResourceVersion();
    var conditions = get("stable").getStatus().getConditions();

    operator = startOperator();
    // The restarted operator reconciles every resource once on start; give it time to do so.
    await()
        .pollDelay(Duration.ofSeconds(3))
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () ->
                assertThat(get("stable").getMetadata().getResourceVersion())
                    .isEqualTo(resourceVersion));
    assertThat(get("stable").getStatus().getConditions()).isEqualTo(conditions);
  }

  private String replicasOf(String name) {
    PostgresCluster cluster = get(name);
    return cluster.getStatus() == null ? null : cluster.getStatus().getReplicas();
  }
}
