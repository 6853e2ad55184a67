package io.pgtrickle.operator.ha;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Pod;
import io.pgtrickle.operator.api.ClusterPhase;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.testbed.HaCluster;
import io.pgtrickle.operator.testbed.OperatorRunner;
import io.pgtrickle.testbed.PatroniPods;
import io.pgtrickle.testbed.TestNamespace;
import io.pgtrickle.testbed.VolumeProvisioner;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Real Patroni and PostgreSQL 15 behind the operator's pods: Patroni is configured only from what
 * the operator created, authenticates as the cluster's ServiceAccount, elects a leader, labels the
 * pods, and the cluster reports Running with that primary.
 */
class PatroniBootstrapIT {

  @RegisterExtension static final TestNamespace NAMESPACE = new TestNamespace();

  private static VolumeProvisioner volumes;
  private static PatroniPods patroni;
  private static OperatorRunner operator;

  @BeforeAll
  static void start() {
    volumes = new VolumeProvisioner(NAMESPACE.client(), NAMESPACE.name());
    patroni = new PatroniPods(NAMESPACE.testBed(), NAMESPACE.name());
    operator = OperatorRunner.start(NAMESPACE.testBed(), NAMESPACE.name());
  }

  @AfterAll
  static void stop() {
    operator.close();
    patroni.close();
    volumes.close();
  }

  private PostgresCluster cluster(String name) {
    return NAMESPACE
        .client()
        .resources(PostgresCluster.class)
        .inNamespace(NAMESPACE.name())
        .withName(name)
        .get();
  }

  private String password(String secret) {
    return new String(
        Base64.getDecoder()
            .decode(
                NAMESPACE
                    .client()
                    .secrets()
                    .inNamespace(NAMESPACE.name())
                    .withName(secret)
                    .get()
                    .getData()
                    .get("password")),
        StandardCharsets.UTF_8);
  }

  @Test
  void threeMembersElectOneLeaderAndStreamToTheOthers() throws Exception {
    String yaml =
        "apiVersion: postgres.example.com/v1\nkind: PostgresCluster\nmetadata:\n  name: ha\n  namespace: "
            + NAMESPACE.name()
            + "\nspec:\n  version: "
            + io.pgtrickle.operator.testbed.HaCluster.testedMajor()
            + "\n  replicas: 3\n  storage:\n    size: 1Gi\n";
    NAMESPACE
        .client()
        .resource(
            NAMESPACE.client().getKubernetesSerialization().unmarshal(yaml, PostgresCluster.class))
        .create();

    await()
        .atMost(Duration.ofSeconds(120))
        .untilAsserted(
            () -> {
              PostgresCluster c = cluster("ha");
              assertThat(c.getStatus()).isNotNull();
              assertThat(c.getStatus().getPhase()).isEqualTo(ClusterPhase.Running);
              assertThat(c.getStatus().getPrimaryPod()).isNotNull();
            });
    List<Pod> pods =
        NAMESPACE
            .client()
            .pods()
            .inNamespace(NAMESPACE.name())
            .withLabel("postgres.example.com/cluster", "ha")
            .list()
            .getItems();
    assertThat(pods)
        .extracting(p -> p.getMetadata().getLabels().get("postgres.example.com/role"))
        .containsExactlyInAnyOrder("primary", "replica", "replica");
    Pod primary =
        pods.stream()
            .filter(
                p -> "primary".equals(p.getMetadata().getLabels().get("postgres.example.com/role")))
            .findFirst()
            .orElseThrow();
    assertThat(cluster("ha").getStatus().getPrimaryPod())
        .isEqualTo(primary.getMetadata().getName());

    String url = "jdbc:postgresql://" + primary.getStatus().getPodIP() + ":5432/postgres";
    await()
        .atMost(Duration.ofSeconds(60))
        .untilAsserted(
            () -> {
              try (Connection connection =
                      DriverManager.getConnection(url, "postgres", password("ha-credentials"));
                  ResultSet rs =
                      connection.createStatement().executeQuery(HaCluster.STREAMING_REPLICAS)) {
                rs.next();
                assertThat(rs.getInt(1)).isEqualTo(2);
              }
            });
    // The operator pushed Patroni's dynamic configuration through the primary's REST API.
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> cluster("ha").getStatus().getPatroniConfigHash() != null);
    assertThat(
            NAMESPACE
                .client()
                .configMaps()
                .inNamespace(NAMESPACE.name())
                .withName("ha-leader")
                .get()
                .getMetadata()
                .getLabels())
        .containsEntry("postgres.example.com/patroni-scope", "ha")
        .doesNotContainKey("postgres.example.com/cluster");
  }

  /**
   * Deleted and created again under the same name, as {@code kubectl delete -f} then {@code kubectl
   * apply -f} do: the volumes are kept (reclaimPolicy Retain, the default), so the members start
   * from the old data directory, which knows only the old passwords. Before, the Secrets went with
   * the cluster, the new ones held new passwords, Patroni could not log in to its own PostgreSQL
   * ("password authentication failed") and the cluster stayed Creating with no reason.
   */
  @Test
  void aClusterCreatedAgainOverItsRetainedVolumesComesBackWithItsData() throws Exception {
    String yaml = yaml("again");
    PostgresCluster desired =
        NAMESPACE.client().getKubernetesSerialization().unmarshal(yaml, PostgresCluster.class);
    NAMESPACE.client().resource(desired).create();
    String url = primaryUrl("again");
    String before = password("again-credentials");
    try (Connection c = DriverManager.getConnection(url, "postgres", before)) {
      c.createStatement().execute("CREATE TABLE kept AS SELECT 42 AS answer");
    }

    deleteAndAwaitGone("again");
    assertThat(
            NAMESPACE
                .client()
                .persistentVolumeClaims()
                .inNamespace(NAMESPACE.name())
                .withName("data-again-0")
                .get())
        .as("the volume is kept")
        .isNotNull();

    NAMESPACE
        .client()
        .resource(
            NAMESPACE.client().getKubernetesSerialization().unmarshal(yaml, PostgresCluster.class))
        .create();
    String again = primaryUrl("again");
    assertThat(password("again-credentials")).isEqualTo(before);
    String uid = cluster("again").getMetadata().getUid();
    await("Secrets taken back")
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                NAMESPACE
                    .client()
                    .secrets()
                    .inNamespace(NAMESPACE.name())
                    .withName("again-credentials")
                    .get()
                    .getMetadata()
                    .getOwnerReferences()
                    .stream()
                    .anyMatch(o -> uid.equals(o.getUid())));
    try (Connection c = DriverManager.getConnection(again, "postgres", before);
        ResultSet rs = c.createStatement().executeQuery("SELECT answer FROM kept")) {
      assertThat(rs.next()).isTrue();
      assertThat(rs.getInt(1)).isEqualTo(42);
    }
  }

  /**
   * Deleted with its volume, then created again under the same name: a new claim is a new, empty
   * volume on a real cluster, so the cluster bootstraps anew (with the passwords kept in its
   * Secrets). The test bed gave the new claim the old claim's directory before, and the old data
   * came back.
   */
  @Test
  void aClusterCreatedAgainAfterItsVolumeWasDeletedStartsEmpty() throws Exception {
    String yaml = yaml("fresh");
    var client = NAMESPACE.client();
    client
        .resource(client.getKubernetesSerialization().unmarshal(yaml, PostgresCluster.class))
        .create();
    String url = primaryUrl("fresh");
    String password = password("fresh-credentials");
    try (Connection c = DriverManager.getConnection(url, "postgres", password)) {
      c.createStatement().execute("CREATE TABLE gone AS SELECT 1 AS x");
    }
    deleteAndAwaitGone("fresh");
    client.persistentVolumeClaims().inNamespace(NAMESPACE.name()).withName("data-fresh-0").delete();
    await("the claim is gone")
        .atMost(Duration.ofSeconds(60))
        .until(
            () ->
                client
                        .persistentVolumeClaims()
                        .inNamespace(NAMESPACE.name())
                        .withName("data-fresh-0")
                        .get()
                    == null);

    client
        .resource(client.getKubernetesSerialization().unmarshal(yaml, PostgresCluster.class))
        .create();
    try (Connection c = DriverManager.getConnection(primaryUrl("fresh"), "postgres", password);
        ResultSet rs = c.createStatement().executeQuery("SELECT to_regclass('gone') IS NULL")) {
      assertThat(rs.next()).isTrue();
      assertThat(rs.getBoolean(1)).as("a new volume holds none of the old data").isTrue();
    }
  }

  /** A one-member cluster {@code name}'s manifest. */
  private static String yaml(String name) {
    return "apiVersion: postgres.example.com/v1\nkind: PostgresCluster\nmetadata:\n  name: "
        + name
        + "\n  namespace: "
        + NAMESPACE.name()
        + "\nspec:\n  version: "
        + HaCluster.testedMajor()
        + "\n  replicas: 1\n  storage:\n    size: 1Gi\n";
  }

  /** Deletes the cluster (its volumes stay) and waits until it and its pods are gone. */
  private void deleteAndAwaitGone(String name) {
    NAMESPACE
        .client()
        .resources(PostgresCluster.class)
        .inNamespace(NAMESPACE.name())
        .withName(name)
        .delete();
    await()
        .atMost(Duration.ofSeconds(120))
        .until(
            () ->
                cluster(name) == null
                    && NAMESPACE
                        .client()
                        .pods()
                        .inNamespace(NAMESPACE.name())
                        .withLabel("postgres.example.com/cluster", name)
                        .list()
                        .getItems()
                        .isEmpty());
  }

  /** Waits for the cluster to run and returns its primary's JDBC URL. */
  private String primaryUrl(String name) {
    await(name + " Running")
        .atMost(Duration.ofSeconds(150))
        .until(
            () ->
                cluster(name) != null
                    && cluster(name).getStatus() != null
                    && cluster(name).getStatus().getPhase() == ClusterPhase.Running
                    && cluster(name).getStatus().getPrimaryPod() != null);
    Pod primary =
        NAMESPACE
            .client()
            .pods()
            .inNamespace(NAMESPACE.name())
            .withName(cluster(name).getStatus().getPrimaryPod())
            .get();
    return "jdbc:postgresql://" + primary.getStatus().getPodIP() + ":5432/postgres";
  }
}
