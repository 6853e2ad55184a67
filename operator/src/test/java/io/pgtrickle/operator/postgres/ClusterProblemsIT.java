package io.pgtrickle.operator.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ResourceQuota;
import io.fabric8.kubernetes.api.model.ResourceQuotaBuilder;
import io.pgtrickle.operator.api.ClusterPhase;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.status.Conditions;
import io.pgtrickle.operator.testbed.OperatorRunner;
import io.pgtrickle.testbed.KubeletStatus;
import io.pgtrickle.testbed.TestNamespace;
import io.pgtrickle.testbed.VolumeProvisioner;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Whatever keeps a cluster from coming up reaches its status, with the words of whoever refused
 * (issue #18 cases 1 and 5): the API server refusing a child or a pod, the scheduler finding no
 * node, the kubelet failing to pull an image. Never a silent Pending or Creating.
 */
class ClusterProblemsIT {

  @RegisterExtension static final TestNamespace NAMESPACE = new TestNamespace();
  private static final Duration CONVERGE = Duration.ofSeconds(60);

  private static VolumeProvisioner volumes;
  private final ClusterFixtures fixtures = new ClusterFixtures(NAMESPACE);
  private OperatorRunner operator;

  @BeforeAll
  static void provisionVolumes() {
    volumes = new VolumeProvisioner(NAMESPACE.client(), NAMESPACE.name());
  }

  @AfterAll
  static void stopVolumes() {
    volumes.close();
  }

  @BeforeEach
  void startOperator() {
    operator = OperatorRunner.start(NAMESPACE.testBed(), NAMESPACE.name());
  }

  @AfterEach
  void stopOperator() {
    operator.close();
  }

  /** The longest name the CRD accepts gives children Kubernetes accepts too. */
  @Test
  void aClusterWithTheLongestNameReachesRunning() {
    String name = "l".repeat(ClusterNames.MAX_NAME_LENGTH - 2) + "-x";
    fixtures.apply("{version: 16, replicas: 2, storage: {size: 1Gi}}", name);
    await()
        .atMost(CONVERGE)
        .until(
            () ->
                fixtures.pods(name).stream().filter(PostgresClusterProvisioningIT::ready).count()
                    == 2);
    fixtures.markPrimary(name + "-0");
    fixtures.markReplica(name + "-1");
    await()
        .atMost(CONVERGE)
        .untilAsserted(
            () -> {
              PostgresCluster cluster = fixtures.get(name);
              assertThat(cluster.getStatus()).isNotNull();
              assertThat(cluster.getStatus().getPhase()).isEqualTo(ClusterPhase.Running);
              assertThat(cluster.getStatus().getReplicas()).isEqualTo("2/2");
            });
  }

  /** Pods the API server refuses (a quota of no pods): the StatefulSet's FailedCreate Event. */
  @Test
  void aPodTheApiServerRefusesFailsTheClusterWithItsMessage() {
    ResourceQuota quota = quota("no-pods", Map.of("pods", "0"));
    try {
      fixtures.apply("{version: 16, replicas: 1, storage: {size: 1Gi}}", "quota-pods");
      await()
          .atMost(CONVERGE)
          .untilAsserted(
              () -> {
                PostgresCluster cluster = fixtures.get("quota-pods");
                assertThat(cluster.getStatus()).isNotNull();
                assertThat(cluster.getStatus().getPhase()).isEqualTo(ClusterPhase.Failed);
                assertThat(cluster.getStatus().getPhaseReason()).isEqualTo("PodCreationFailed");
                assertThat(condition(cluster, "Ready").getMessage())
                    .contains("Create Pod quota-pods-0 in StatefulSet quota-pods failed")
                    .contains("exceeded quota: no-pods");
              });
      assertThat(warnings("quota-pods", "PodCreationFailed")).isPositive();
    } finally {
      NAMESPACE.client().resource(quota).delete();
    }
    // Fixed: the StatefulSet controller retries and the cluster carries on.
    await()
        .atMost(Duration.ofMinutes(2))
        .untilAsserted(
            () -> {
              assertThat(fixtures.pods("quota-pods")).hasSize(1);
              assertThat(fixtures.get("quota-pods").getStatus().getPhase())
                  .isNotEqualTo(ClusterPhase.Failed);
            });
  }

  /**
   * A typo in spec.postgresqlParams of a running cluster (Patroni would drop it with a log line)
   * fails the cluster with a did-you-mean, and leaves it running as it was: no StatefulSet change,
   * no pod replaced. Fixed, the cluster is Running again.
   */
  @Test
  void aParameterTypoFailsARunningClusterWithoutTouchingIt() {
    String spec = "{version: 16, replicas: 1, storage: {size: 1Gi}%s}";
    fixtures.apply(String.format(spec, ""), "typo");
    await()
        .atMost(CONVERGE)
        .until(
            () ->
                fixtures.pods("typo").stream().filter(PostgresClusterProvisioningIT::ready).count()
                    == 1);
    fixtures.markPrimary("typo-0");
    await().atMost(CONVERGE).until(() -> phase("typo") == ClusterPhase.Running);
    var statefulSet =
        NAMESPACE.client().apps().statefulSets().inNamespace(NAMESPACE.name()).withName("typo");
    long generation = statefulSet.get().getMetadata().getGeneration();
    String podUid = fixtures.pods("typo").get(0).getMetadata().getUid();

    fixtures.apply(String.format(spec, ", postgresqlParams: {shared_bufers: 1GB}"), "typo");
    await()
        .atMost(CONVERGE)
        .untilAsserted(
            () -> {
              PostgresCluster cluster = fixtures.get("typo");
              assertThat(cluster.getStatus().getObservedGeneration())
                  .isEqualTo(cluster.getMetadata().getGeneration());
              assertThat(cluster.getStatus().getPhase()).isEqualTo(ClusterPhase.Failed);
              assertThat(cluster.getStatus().getPhaseReason()).isEqualTo("ParameterUnknown");
              assertThat(condition(cluster, "Ready").getReason()).isEqualTo("ParameterUnknown");
              assertThat(condition(cluster, "Ready").getMessage())
                  .isEqualTo(
                      "spec.postgresqlParams: shared_bufers is not a parameter of PostgreSQL 16;"
                          + " did you mean shared_buffers?");
              assertThat(cluster.getStatus().getReplicas()).isEqualTo("1/1");
            });
    assertThat(warnings("typo", "ParameterUnknown")).isPositive();
    assertThat(statefulSet.get().getMetadata().getGeneration()).isEqualTo(generation);
    assertThat(fixtures.pods("typo"))
        .singleElement()
        .satisfies(pod -> assertThat(pod.getMetadata().getUid()).isEqualTo(podUid));

    fixtures.apply(String.format(spec, ""), "typo");
    await().atMost(CONVERGE).until(() -> phase("typo") == ClusterPhase.Running);
    assertThat(statefulSet.get().getMetadata().getGeneration()).isEqualTo(generation);
  }

  /**
   * One repository spelled two ways is one repository (RepositoryIdentity): a restore whose own
   * path is its source's with a trailing slash is refused (RestoreRepositoryShared, reported by a
   * user trial that archived into the source's repository), and a second cluster at another's
   * explicit path, spelled with a double and a trailing slash, is refused (RepositoryShared, naming
   * the older cluster and the field), nothing of it created, while the older one is left as it was.
   * A path of its own lifts the refusal.
   */
  @Test
  void aRepositoryAnotherClusterUsesIsRefusedHoweverItsPathIsSpelled() {
    NAMESPACE
        .client()
        .resource(
            new io.fabric8.kubernetes.api.model.SecretBuilder()
                .withNewMetadata()
                .withName("s3-credentials")
                .withNamespace(NAMESPACE.name())
                .endMetadata()
                .withStringData(Map.of("AWS_ACCESS_KEY_ID", "k", "AWS_SECRET_ACCESS_KEY", "s"))
                .build())
        .createOr(r -> r.update());
    String spec =
        "{version: 16, replicas: 1, storage: {size: 1Gi}, %sbackup: {destination: {type: S3,"
            + " bucket: backups, region: us-east-1, credentialsSecret: s3-credentials,"
            + " endpoint: '%s'%s}}}";
    var statefulSets = NAMESPACE.client().apps().statefulSets().inNamespace(NAMESPACE.name());
    fixtures.apply(String.format(spec, "", "https://localhost:39417", ""), "src");
    fixtures.apply(
        String.format(
            spec,
            "restore: {backupName: src}, ",
            "https://localhost:39417/",
            ", path: /pgbackrest/" + NAMESPACE.name() + "/src/"),
        "copy");
    await()
        .atMost(CONVERGE)
        .untilAsserted(
            () -> {
              PostgresCluster cluster = fixtures.get("copy");
              assertThat(cluster.getStatus()).isNotNull();
              assertThat(cluster.getStatus().getPhase()).isEqualTo(ClusterPhase.Failed);
              assertThat(cluster.getStatus().getPhaseReason()).isEqualTo("RestoreRepositoryShared");
            });
    assertThat(statefulSets.withName("copy").get()).isNull();

    fixtures.apply(String.format(spec, "", "https://localhost:39417", ", path: /shared"), "first");
    await().atMost(CONVERGE).until(() -> statefulSets.withName("first").get() != null);
    long generation = statefulSets.withName("first").get().getMetadata().getGeneration();
    fixtures.apply(
        String.format(spec, "", "https://LocalHost:39417/", ", path: //shared/"), "second");
    await()
        .atMost(CONVERGE)
        .untilAsserted(
            () -> {
              PostgresCluster cluster = fixtures.get("second");
              assertThat(cluster.getStatus()).isNotNull();
              assertThat(cluster.getStatus().getPhase()).isEqualTo(ClusterPhase.Failed);
              assertThat(cluster.getStatus().getPhaseReason()).isEqualTo("RepositoryShared");
              assertThat(cluster.getStatus().getMessage())
                  .contains("PostgresCluster " + NAMESPACE.name() + "/first")
                  .contains("spec.backup.destination.path");
            });
    System.out.println("second: " + fixtures.get("second").getStatus().getMessage());
    assertThat(statefulSets.withName("second").get()).isNull();
    PostgresCluster first = fixtures.get("first");
    assertThat(first.getStatus().getPhaseReason()).isNotIn("RepositoryShared");
    assertThat(statefulSets.withName("first").get().getMetadata().getGeneration())
        .isEqualTo(generation);

    fixtures.apply(String.format(spec, "", "https://localhost:39417", ", path: /own"), "second");
    await().atMost(CONVERGE).until(() -> statefulSets.withName("second").get() != null);
    assertThat(fixtures.get("first").getStatus().getPhaseReason()).isNotIn("RepositoryShared");
    // Out of the other tests' way (their quotas count this namespace's objects).
    for (String name : List.of("src", "copy", "first", "second")) {
      NAMESPACE.client().resource(fixtures.get(name)).delete();
    }
  }

  private ClusterPhase phase(String name) {
    PostgresCluster cluster = fixtures.get(name);
    return cluster == null || cluster.getStatus() == null ? null : cluster.getStatus().getPhase();
  }

  /** A child the API server refuses (a quota of one Service) fails the cluster, then recovers. */
  @Test
  void aChildTheApiServerRefusesFailsTheClusterWithItsMessage() {
    ResourceQuota quota = quota("one-service", Map.of("services", "1"));
    try {
      fixtures.apply("{version: 16, replicas: 1, storage: {size: 1Gi}}", "quota-services");
      await()
          .atMost(CONVERGE)
          .untilAsserted(
              () -> {
                PostgresCluster cluster = fixtures.get("quota-services");
                assertThat(cluster.getStatus()).isNotNull();
                assertThat(cluster.getStatus().getPhase()).isEqualTo(ClusterPhase.Failed);
                assertThat(cluster.getStatus().getPhaseReason()).isEqualTo("ResourceRejected");
                assertThat(condition(cluster, "Ready").getMessage())
                    .startsWith("The API server refused a child of the cluster: services")
                    .contains("exceeded quota: one-service");
              });
    } finally {
      NAMESPACE.client().resource(quota).delete();
    }
    await()
        .atMost(Duration.ofMinutes(2))
        .untilAsserted(
            () ->
                assertThat(fixtures.get("quota-services").getStatus().getPhaseReason())
                    .isNotEqualTo("ResourceRejected"));
  }

  /**
   * A resource quantity the CRD does not check (it checks cpu and memory, not {@code
   * ephemeral-storage: lots}): the API server refuses the StatefulSet; the status says so instead
   * of staying as it was.
   */
  @Test
  void aQuantityTheStatefulSetCannotTakeIsShown() {
    fixtures.apply(
        "{version: 16, replicas: 1, storage: {size: 1Gi},"
            + " resources: {limits: {ephemeral-storage: lots}}}",
        "bad-cpu");
    await()
        .atMost(CONVERGE)
        .untilAsserted(
            () -> {
              PostgresCluster cluster = fixtures.get("bad-cpu");
              assertThat(cluster.getStatus()).isNotNull();
              assertThat(cluster.getStatus().getPhaseReason()).isEqualTo("ResourceRejected");
              assertThat(cluster.getStatus().getMessage()).contains("quantities must match");
            });
  }

  /** The scheduler's reason, not just "0 of 1 members ready". */
  @Test
  void anUnschedulableMemberSaysWhy() {
    fixtures.apply(
        "{version: 16, replicas: 1, storage: {size: 1Gi}, resources: {requests: {cpu: '64'}}}",
        "too-big");
    await()
        .atMost(CONVERGE)
        .untilAsserted(
            () -> {
              PostgresCluster cluster = fixtures.get("too-big");
              assertThat(cluster.getStatus()).isNotNull();
              assertThat(cluster.getStatus().getPhase()).isEqualTo(ClusterPhase.Creating);
              assertThat(cluster.getStatus().getPhaseReason()).isEqualTo("Unschedulable");
              assertThat(condition(cluster, "Ready").getReason()).isEqualTo("Unschedulable");
              assertThat(condition(cluster, "Ready").getMessage())
                  .startsWith(
                      "0 of 1 members ready, waiting for the rest. too-big-0: Unschedulable:")
                  .contains("Insufficient cpu");
            });
  }

  /** The kubelet's reason for a container that does not start, e.g. an image it cannot pull. */
  @Test
  void anImageThatCannotBePulledSaysWhy() {
    fixtures.apply(
        "{version: 16, replicas: 1, storage: {size: 1Gi}, image: 'registry.invalid/pg:16'}",
        "no-image");
    await().atMost(CONVERGE).until(() -> fixtures.pods("no-image").size() == 1);
    await()
        .atMost(CONVERGE)
        .until(
            () ->
                fixtures.pods("no-image").get(0).getStatus().getContainerStatuses() != null
                    && !fixtures
                        .pods("no-image")
                        .get(0)
                        .getStatus()
                        .getContainerStatuses()
                        .isEmpty());
    KubeletStatus.waiting(
        NAMESPACE.client(),
        NAMESPACE.name(),
        "no-image-0",
        "ImagePullBackOff",
        "Back-off pulling image \"registry.invalid/pg:16\"");
    await()
        .atMost(CONVERGE)
        .untilAsserted(
            () -> {
              PostgresCluster cluster = fixtures.get("no-image");
              assertThat(cluster.getStatus()).isNotNull();
              assertThat(cluster.getStatus().getPhaseReason()).isEqualTo("ImagePullBackOff");
              assertThat(condition(cluster, "Ready").getMessage())
                  .contains(
                      "no-image-0: ImagePullBackOff: container postgres: Back-off pulling image"
                          + " \"registry.invalid/pg:16\"");
            });
  }

  private ResourceQuota quota(String name, Map<String, String> hard) {
    ResourceQuotaBuilder builder =
        new ResourceQuotaBuilder()
            .withNewMetadata()
            .withName(name)
            .withNamespace(NAMESPACE.name())
            .endMetadata()
            .withNewSpec()
            .endSpec();
    hard.forEach(
        (k, v) ->
            builder
                .editSpec()
                .addToHard(k, new io.fabric8.kubernetes.api.model.Quantity(v))
                .endSpec());
    ResourceQuota quota = NAMESPACE.client().resource(builder.build()).create();
    // The quota controller fills in what is used; admission enforces the quota from then on.
    await()
        .atMost(CONVERGE)
        .until(
            () -> {
              ResourceQuota q = NAMESPACE.client().resource(quota).get();
              return q.getStatus() != null
                  && q.getStatus().getHard() != null
                  && q.getStatus().getUsed() != null
                  && !q.getStatus().getHard().isEmpty();
            });
    return quota;
  }

  private static Condition condition(PostgresCluster cluster, String type) {
    return Conditions.find(cluster.getStatus().getConditions(), type).orElseThrow();
  }

  private long warnings(String cluster, String reason) {
    return NAMESPACE.client().v1().events().inNamespace(NAMESPACE.name()).list().getItems().stream()
        .filter(e -> cluster.equals(e.getInvolvedObject().getName()))
        .filter(e -> "PostgresCluster".equals(e.getInvolvedObject().getKind()))
        .filter(e -> reason.equals(e.getReason()) && "Warning".equals(e.getType()))
        .count();
  }
}
