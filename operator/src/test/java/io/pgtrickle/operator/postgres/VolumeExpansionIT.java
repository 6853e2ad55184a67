package io.pgtrickle.operator.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.pgtrickle.operator.api.ClusterPhase;
import io.pgtrickle.operator.status.Conditions;
import io.pgtrickle.operator.storage.StorageCondition;
import io.pgtrickle.operator.testbed.OperatorRunner;
import io.pgtrickle.testbed.TestNamespace;
import io.pgtrickle.testbed.TestStorageClasses;
import io.pgtrickle.testbed.VolumeProvisioner;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Growing {@code spec.storage.size} on the test bed's real API server: the operator raises each
 * member's claim (the API server's PersistentVolumeClaimResize admission allows it for a
 * StorageClass with {@code allowVolumeExpansion: true}; the test bed's provisioner plays the
 * driver's resizer), the members keep running (no pod is replaced), the StatefulSet keeps the claim
 * template the API server refuses to change, a member added later is grown too, and a StorageClass
 * that does not allow expansion is reported in condition Storage until it does.
 */
class VolumeExpansionIT {

  @RegisterExtension static final TestNamespace NAMESPACE = new TestNamespace();
  private static final Duration CONVERGE = Duration.ofSeconds(60);
  private static final String NAME = "grow";

  private static VolumeProvisioner volumes;
  private static OperatorRunner operator;
  private static String storageClass;
  private final ClusterFixtures fixtures = new ClusterFixtures(NAMESPACE);

  @BeforeAll
  static void start() {
    storageClass = "expandable-" + NAMESPACE.name();
    TestStorageClasses.create(NAMESPACE.client(), storageClass, true);
    volumes = new VolumeProvisioner(NAMESPACE.client(), NAMESPACE.name());
    operator = OperatorRunner.start(NAMESPACE.testBed(), NAMESPACE.name());
  }

  @AfterAll
  static void stop() {
    if (operator != null) {
      operator.close();
    }
    if (volumes != null) {
      volumes.close();
    }
    TestStorageClasses.delete(NAMESPACE.client(), storageClass);
  }

  private String spec(int replicas, String size) {
    return "{version: 16, replicas: "
        + replicas
        + ", storage: {size: "
        + size
        + ", storageClass: "
        + storageClass
        + "}}";
  }

  @Test
  void membersVolumesGrowInPlaceAndAClassThatForbidsItIsReported() {
    fixtures.apply(spec(2, "1Gi"), NAME);
    await().atMost(CONVERGE).until(() -> readyPods() == 2);
    fixtures.markPrimary(NAME + "-0");
    fixtures.markReplica(NAME + "-1");
    await()
        .atMost(CONVERGE)
        .until(
            () -> storage().map(Condition::getReason).orElse(""),
            r -> r.equals(StorageCondition.AS_SPECIFIED));
    Set<String> uids = uids();

    fixtures.apply(spec(2, "2Gi"), NAME);
    await("both claims requested and grown to 2Gi")
        .atMost(CONVERGE)
        .untilAsserted(
            () -> {
              assertThat(claimSizes(false))
                  .containsOnly(Map.entry("data-grow-0", "2Gi"), Map.entry("data-grow-1", "2Gi"));
              assertThat(claimSizes(true))
                  .containsOnly(Map.entry("data-grow-0", "2Gi"), Map.entry("data-grow-1", "2Gi"));
            });
    await()
        .atMost(CONVERGE)
        .untilAsserted(
            () ->
                assertThat(storage().orElseThrow())
                    .satisfies(c -> assertThat(c.getStatus()).isEqualTo("True"))
                    .satisfies(c -> assertThat(c.getMessage()).contains("spec.storage.size 2Gi")));
    assertThat(uids()).as("no member was replaced: the volumes grew online").isEqualTo(uids);
    assertThat(templateSize())
        .as("the claim template the API server refuses to change")
        .isEqualTo("1Gi");
    assertThat(fixtures.get(NAME).getStatus().getPhase()).isEqualTo(ClusterPhase.Running);

    // A member added later starts from the template's 1Gi and is grown too.
    fixtures.apply(spec(3, "2Gi"), NAME);
    await("the new member's claim grown")
        .atMost(CONVERGE)
        .untilAsserted(() -> assertThat(claimSizes(true)).containsEntry("data-grow-2", "2Gi"));

    // A class that does not allow expansion: reported, the members run on as they are.
    TestStorageClasses.allowVolumeExpansion(NAMESPACE.client(), storageClass, false);
    fixtures.apply(spec(3, "3Gi"), NAME);
    Condition refused =
        await()
            .atMost(CONVERGE)
            .until(
                () -> storage().orElse(null),
                c -> c != null && StorageCondition.NOT_ALLOWED.equals(c.getReason()));
    assertThat(refused.getStatus()).isEqualTo("False");
    assertThat(refused.getMessage())
        .contains("spec.storage.size is 3Gi")
        .contains(
            "data-grow-0, data-grow-1 and data-grow-2 cannot grow: their StorageClass "
                + storageClass
                + " does not allow volume expansion")
        .contains("allowVolumeExpansion");
    assertThat(claimSizes(false)).containsEntry("data-grow-0", "2Gi");

    // Undo: back to the volumes' size (status.storageSize) is accepted, below it is not.
    assertThat(fixtures.get(NAME).getStatus().getStorageSize()).isEqualTo("2Gi");
    fixtures.apply(spec(3, "2Gi"), NAME);
    await("the growth undone: the condition True again")
        .atMost(CONVERGE)
        .until(() -> storage().map(Condition::getStatus).orElse(""), "True"::equals);
    assertThatThrownBy(() -> fixtures.apply(spec(3, "1Gi"), NAME))
        .hasMessageContaining(
            "spec.storage.size cannot shrink below the members' volumes (status.storageSize)");

    // The way out the message names: allow expansion on the class.
    TestStorageClasses.allowVolumeExpansion(NAMESPACE.client(), storageClass, true);
    fixtures.apply(spec(3, "3Gi"), NAME);
    await("grown to 3Gi once the class allows it")
        .atMost(CONVERGE)
        .untilAsserted(
            () -> {
              assertThat(claimSizes(true).values()).containsOnly("3Gi");
              assertThat(storage().orElseThrow().getStatus()).isEqualTo("True");
            });
  }

  /**
   * A driver that grows file systems only on a mount (Kubernetes' offline expansion): the claims
   * wait in {@code FileSystemResizePending}, and after the grace the operator restarts the members,
   * the replica first, then the primary (its switchover finds no Patroni on these unplayed pods, so
   * it is restarted as for a primary whose Patroni does not answer); the claims then have the size
   * and the condition is True.
   */
  @Test
  void aFileSystemThatGrowsOnlyOnAMountRestartsTheMembersReplicaFirst() {
    String name = "offline";
    String offlineClass = "offline-" + NAMESPACE.name();
    TestStorageClasses.createOffline(NAMESPACE.client(), offlineClass);
    try {
      String spec =
          "{version: 16, replicas: 2, storage: {size: %s, storageClass: " + offlineClass + "}}";
      fixtures.apply(String.format(spec, "1Gi"), name);
      await()
          .atMost(CONVERGE)
          .until(
              () ->
                  fixtures.pods(name).stream().filter(PostgresClusterProvisioningIT::ready).count()
                      == 2);
      fixtures.markPrimary(name + "-0");
      fixtures.markReplica(name + "-1");
      String primaryUid = uid(name + "-0");
      String replicaUid = uid(name + "-1");

      fixtures.apply(String.format(spec, "2Gi"), name);
      await("both members restarted, the claims grown and the condition True")
          .atMost(Duration.ofSeconds(120))
          .untilAsserted(
              () -> {
                assertThat(claimSize("data-offline-0", true))
                    .as(() -> expansionState(name))
                    .isEqualTo("2Gi");
                assertThat(claimSize("data-offline-1", true))
                    .as(() -> expansionState(name))
                    .isEqualTo("2Gi");
                Condition c =
                    Conditions.find(
                            fixtures.get(name).getStatus().getConditions(), StorageCondition.TYPE)
                        .orElseThrow();
                assertThat(c.getStatus()).as(c.getMessage()).isEqualTo("True");
              });
      assertThat(uid(name + "-0")).isNotEqualTo(primaryUid);
      assertThat(uid(name + "-1")).isNotEqualTo(replicaUid);
      java.util.List<io.fabric8.kubernetes.api.model.Event> restarts =
          NAMESPACE.client().v1().events().inNamespace(NAMESPACE.name()).list().getItems().stream()
              .filter(e -> "RollingRestart".equals(e.getReason()))
              .filter(e -> name.equals(e.getInvolvedObject().getName()))
              .sorted(java.util.Comparator.comparing(e -> e.getMetadata().getCreationTimestamp()))
              .toList();
      assertThat(restarts)
          .extracting(io.fabric8.kubernetes.api.model.Event::getMessage)
          .as("the replica first, each for its file system")
          .first()
          .asString()
          .startsWith("Restarting offline-1 to grow its volume's file system");
      assertThat(restarts)
          .extracting(io.fabric8.kubernetes.api.model.Event::getMessage)
          .anyMatch(m -> m.startsWith("Restarting offline-0 to grow its volume's file system"));
    } finally {
      NAMESPACE
          .client()
          .resources(io.pgtrickle.operator.api.PostgresCluster.class)
          .inNamespace(NAMESPACE.name())
          .withName(name)
          .delete();
      TestStorageClasses.delete(NAMESPACE.client(), offlineClass);
    }
  }

  private String uid(String pod) {
    return NAMESPACE
        .client()
        .pods()
        .inNamespace(NAMESPACE.name())
        .withName(pod)
        .get()
        .getMetadata()
        .getUid();
  }

  /** The PVC repository's volume follows spec.storage.size when destination.size is absent. */
  @Test
  void aVolumeRepositorySizedByTheStorageSizeGrowsWithIt() {
    String name = "repo";
    String spec =
        "{version: 16, replicas: 1, storage: {size: %s, storageClass: "
            + storageClass
            + "}, backup: {destination: {type: PVC}}}";
    fixtures.apply(String.format(spec, "1Gi"), name);
    String claim = name + "-pgbackrest-repo";
    await().atMost(CONVERGE).until(() -> claimSize(claim, true), "1Gi"::equals);
    fixtures.apply(String.format(spec, "2Gi"), name);
    await("the repository volume grown to 2Gi")
        .atMost(CONVERGE)
        .untilAsserted(
            () -> {
              assertThat(claimSize(claim, false)).isEqualTo("2Gi");
              assertThat(claimSize(claim, true)).isEqualTo("2Gi");
            });
    await("condition BackupRepository True again")
        .atMost(CONVERGE)
        .untilAsserted(
            () ->
                assertThat(
                        Conditions.find(
                                fixtures.get(name).getStatus().getConditions(), "BackupRepository")
                            .map(Condition::getStatus)
                            .orElse("absent"))
                    .isEqualTo("True"));
  }

  private String claimSize(String claim, boolean capacity) {
    PersistentVolumeClaim c =
        NAMESPACE
            .client()
            .persistentVolumeClaims()
            .inNamespace(NAMESPACE.name())
            .withName(claim)
            .get();
    return c == null ? "" : size(c, capacity);
  }

  /** The claims' capacity and conditions, the pods' UID and creation: a failure's context. */
  private String expansionState(String cluster) {
    StringBuilder state = new StringBuilder();
    for (PersistentVolumeClaim c :
        NAMESPACE
            .client()
            .persistentVolumeClaims()
            .inNamespace(NAMESPACE.name())
            .list()
            .getItems()) {
      if (c.getMetadata().getName().startsWith("data-" + cluster + "-")) {
        state
            .append(c.getMetadata().getName())
            .append(": capacity ")
            .append(size(c, true))
            .append(", conditions ")
            .append(
                c.getStatus() == null || c.getStatus().getConditions() == null
                    ? "[]"
                    : c.getStatus().getConditions().stream()
                        .map(x -> x.getType() + " since " + x.getLastTransitionTime())
                        .toList())
            .append("; ");
      }
    }
    for (var pod : fixtures.pods(cluster)) {
      state
          .append(pod.getMetadata().getName())
          .append(": created ")
          .append(pod.getMetadata().getCreationTimestamp())
          .append(", ready ")
          .append(PostgresClusterProvisioningIT.ready(pod))
          .append("; ");
    }
    Condition storage =
        Conditions.find(fixtures.get(cluster).getStatus().getConditions(), StorageCondition.TYPE)
            .orElse(null);
    return state
        .append("Storage: ")
        .append(storage == null ? "none" : storage.getMessage())
        .toString();
  }

  private long readyPods() {
    return fixtures.pods(NAME).stream().filter(PostgresClusterProvisioningIT::ready).count();
  }

  private Set<String> uids() {
    return fixtures.pods(NAME).stream()
        .map(p -> p.getMetadata().getUid())
        .collect(Collectors.toSet());
  }

  private java.util.Optional<Condition> storage() {
    var c = fixtures.get(NAME);
    return c.getStatus() == null
        ? java.util.Optional.empty()
        : Conditions.find(c.getStatus().getConditions(), StorageCondition.TYPE);
  }

  /** Claim name to its request (or, with {@code capacity}, its status.capacity). */
  private Map<String, String> claimSizes(boolean capacity) {
    return NAMESPACE
        .client()
        .persistentVolumeClaims()
        .inNamespace(NAMESPACE.name())
        .list()
        .getItems()
        .stream()
        .filter(c -> c.getMetadata().getName().startsWith("data-" + NAME + "-"))
        .collect(Collectors.toMap(c -> c.getMetadata().getName(), c -> size(c, capacity)));
  }

  private static String size(PersistentVolumeClaim c, boolean capacity) {
    Map<String, Quantity> m =
        capacity
            ? (c.getStatus() == null ? null : c.getStatus().getCapacity())
            : c.getSpec().getResources().getRequests();
    return m == null || m.get("storage") == null ? "" : m.get("storage").toString();
  }

  private String templateSize() {
    StatefulSet sts =
        NAMESPACE.client().apps().statefulSets().inNamespace(NAMESPACE.name()).withName(NAME).get();
    return sts.getSpec()
        .getVolumeClaimTemplates()
        .get(0)
        .getSpec()
        .getResources()
        .getRequests()
        .get("storage")
        .toString();
  }
}
