package io.pgtrickle.operator.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.http.HttpClient;
import io.fabric8.kubernetes.client.http.HttpResponse;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.backup.pgbackrest.PodCommand;
import io.pgtrickle.operator.postgres.spec.ClusterStatefulSet;
import io.pgtrickle.operator.status.Conditions;
import io.pgtrickle.operator.testbed.HaCluster;
import io.pgtrickle.testbed.TestNamespace;
import io.pgtrickle.testbed.TestStorageClasses;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A member's data volume filling up is reported: a one-member cluster with a 300 MiB claim (on the
 * test bed a directory of the machine's disk, as hostPath and local-path volumes are, so it is
 * measured with {@code du} against the claim's capacity) is filled with a table until less than 15%
 * is free; condition VolumeSpace turns False, reason Low, naming the member with its figures, with
 * a Warning Event (and column Volumes of {@code kubectl get pgc -o wide} says Low); once the table
 * is dropped it is Sufficient again. Filled again below 32 MiB free it is Full, with a Warning
 * Event, and Sufficient again once {@code spec.storage.size} is raised to 600Mi (the test bed's
 * provisioner grows the claim for a StorageClass that allows expansion). Before, the cluster said
 * Running and nothing else while the volume filled.
 */
class VolumeSpaceIT {

  @RegisterExtension static final TestNamespace NAMESPACE = new TestNamespace();

  private static final String NAME = "space";
  private static final String MEMBER = NAME + "-0";
  private static final long MIB = 1024 * 1024;
  private static final long CAPACITY = 300 * MIB;

  /** Aim for the middle of Low's window: between 32 MiB (Full) and 45 MiB (15%) free. */
  private static final long TARGET_FREE = 38 * MIB;

  /** Under Full's floor of 32 MiB free. */
  private static final long FULL_FREE = 20 * MIB;

  /** The test bed's operators measure every 10 s; an exec and a status patch on top. */
  private static final Duration REPORTED = Duration.ofSeconds(40);

  private static HaCluster ha;
  private static String storageClass;

  @BeforeAll
  static void start() {
    storageClass = "space-" + NAMESPACE.name();
    TestStorageClasses.create(NAMESPACE.client(), storageClass, true);
    ha =
        HaCluster.startWithSpec(
            NAMESPACE.testBed(),
            NAMESPACE.name(),
            NAME,
            "  version: "
                + HaCluster.testedMajor()
                + "\n  replicas: 1\n  storage:\n    size: 300Mi\n    storageClass: "
                + storageClass
                + "\n",
            Duration.ofSeconds(180));
  }

  @AfterAll
  static void stop() {
    if (ha != null) {
      ha.close();
    }
    TestStorageClasses.delete(NAMESPACE.client(), storageClass);
  }

  @Test
  void aFillingVolumeIsReportedLowOrFullUntilSpaceIsFreedOrTheVolumeGrown() throws Exception {
    Condition sufficient =
        await("the volume measured")
            .atMost(REPORTED)
            .until(
                () -> volumeSpace().orElse(null), c -> c != null && "True".equals(c.getStatus()));
    assertThat(sufficient.getReason()).isEqualTo(VolumeSpaceCondition.SUFFICIENT);
    assertThat(sufficient.getMessage())
        .startsWith("Every member's data volume has room: " + MEMBER + " ")
        .contains(" of 300 MiB used");

    fillUntilFree(TARGET_FREE);
    Condition low =
        await("the volume reported low")
            .atMost(REPORTED)
            .until(
                () -> volumeSpace().orElse(null), c -> c != null && "False".equals(c.getStatus()));
    assertThat(low.getReason()).as(low.getMessage()).isEqualTo(VolumeSpaceCondition.LOW);
    assertThat(low.getMessage())
        .startsWith("The data volume of " + MEMBER + " is nearly full (less than 15% free): ")
        .contains(" of 300 MiB used (8")
        .contains("Raise spec.storage.size")
        .contains("free space");
    assertThat(ha.events(Set.of("VolumeSpaceLow")))
        .singleElement()
        .satisfies(e -> assertThat(e).contains("The data volume of " + MEMBER));
    assertThat(wideRow()).as("kubectl get pgc -o wide").containsEntry("Volumes", "Low");
    assertThat(columnPriority("Volumes")).as("shown by plain kubectl get pgc").isZero();

    // One way out: free space.
    sql("drop table ballast", "checkpoint");
    await("sufficient again once the table is dropped")
        .atMost(REPORTED)
        .until(() -> volumeSpace().map(Condition::getStatus).orElse(""), "True"::equals);

    fillUntilFree(FULL_FREE);
    Condition full =
        await("the volume reported full")
            .atMost(REPORTED)
            .until(
                () -> volumeSpace().orElse(null),
                c -> c != null && VolumeSpaceCondition.FULL.equals(c.getReason()));
    assertThat(full.getStatus()).isEqualTo("False");
    assertThat(full.getMessage())
        .startsWith("The data volume of " + MEMBER + " is full (less than 3% or 32 MiB free): ")
        .contains("No space left on device")
        .contains("Raise spec.storage.size");
    assertThat(ha.events(Set.of("VolumeSpaceFull"))).hasSize(1);

    // The other: a larger spec.storage.size, which the operator grows the claim to.
    NAMESPACE
        .client()
        .resources(PostgresCluster.class)
        .inNamespace(NAMESPACE.name())
        .withName(NAME)
        .patch(
            PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"storage\":{\"size\":\"600Mi\"}}}");
    Condition grown =
        await("sufficient once the volume has grown")
            .atMost(REPORTED.multipliedBy(2))
            .until(
                () -> volumeSpace().orElse(null), c -> c != null && "True".equals(c.getStatus()));
    assertThat(grown.getMessage()).contains(MEMBER).contains(" of 600 MiB used");
  }

  /**
   * Adds rows to an unlogged table (no WAL: what is written is the table) until the data directory
   * leaves at most {@code free} of the claim's 300 MiB, as {@code du} in the pod counts.
   */
  private static void fillUntilFree(long free) throws Exception {
    sql("create unlogged table if not exists ballast (filler text)");
    for (int round = 0; round < 100; round++) {
      long left = CAPACITY - used();
      if (left <= free + 4 * MIB) {
        return;
      }
      // 1800 characters, stored uncompressed (under the TOAST threshold): 4 rows an 8 KiB page.
      // A relation's file grows as it is extended, so du sees the rows at once.
      long rows = Math.max(1, Math.min(left - free, 8 * MIB) / 2048);
      sql("insert into ballast select repeat('x', 1800) from generate_series(1, " + rows + ")");
    }
    throw new AssertionError("the data directory did not fill: " + used() + " bytes used");
  }

  /** The bytes the data volume's directory takes, as {@code du -sk} in the member counts them. */
  private static long used() throws Exception {
    PodCommand.Result du =
        PodCommand.run(
            NAMESPACE.client(),
            NAMESPACE.name(),
            MEMBER,
            ClusterStatefulSet.CONTAINER,
            Duration.ofSeconds(15),
            "sh",
            "-c",
            "du -sk " + ClusterStatefulSet.DATA_MOUNT);
    return DiskFigures.parseDu(du.stdout())
        .orElseThrow(() -> new AssertionError("du failed: " + du.tail()));
  }

  private static void sql(String... statements) throws Exception {
    try (Connection c = ha.connect(ha.primaryIp().orElseThrow());
        Statement s = c.createStatement()) {
      for (String statement : statements) {
        s.execute(statement);
      }
    }
  }

  /**
   * The cluster's row as {@code kubectl get pgc -o wide} shows it (the API server's Table of the
   * CRD's printer columns), column name to cell.
   */
  @SuppressWarnings("unchecked")
  private static Map<String, Object> wideRow() throws Exception {
    Map<String, Object> table = table();
    List<Map<String, Object>> columns = (List<Map<String, Object>>) table.get("columnDefinitions");
    List<Object> cells =
        (List<Object>) ((List<Map<String, Object>>) table.get("rows")).get(0).get("cells");
    Map<String, Object> row = new LinkedHashMap<>();
    for (int i = 0; i < columns.size(); i++) {
      row.put((String) columns.get(i).get("name"), cells.get(i));
    }
    return row;
  }

  /** A printer column's priority: 0 for {@code kubectl get}, above for {@code -o wide} only. */
  @SuppressWarnings("unchecked")
  private static int columnPriority(String name) throws Exception {
    List<Map<String, Object>> columns =
        (List<Map<String, Object>>) table().get("columnDefinitions");
    return columns.stream()
        .filter(c -> name.equals(c.get("name")))
        .map(c -> c.get("priority") == null ? 0 : ((Number) c.get("priority")).intValue())
        .findFirst()
        .orElseThrow();
  }

  /** The API server's Table of the cluster (the CRD's printer columns and the cluster's row). */
  @SuppressWarnings("unchecked")
  private static Map<String, Object> table() throws Exception {
    KubernetesClient client = NAMESPACE.client();
    HttpClient http = client.getHttpClient();
    String url =
        client.getMasterUrl().toString().replaceAll("/$", "")
            + "/apis/postgres.example.com/v1/namespaces/"
            + NAMESPACE.name()
            + "/postgresclusters/"
            + NAME;
    HttpResponse<String> response =
        http.sendAsync(
                http.newHttpRequestBuilder()
                    .uri(url)
                    .header("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io")
                    .build(),
                String.class)
            .get(10, TimeUnit.SECONDS);
    assertThat(response.code()).as(response.body()).isEqualTo(200);
    return client.getKubernetesSerialization().unmarshal(response.body(), Map.class);
  }

  private static Optional<Condition> volumeSpace() {
    return Conditions.find(ha.cluster().getStatus().getConditions(), VolumeSpaceCondition.TYPE);
  }
}
