package io.pgtrickle.operator.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.pgtrickle.operator.api.ClusterPhase;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.testbed.ClusterChildren;
import io.pgtrickle.operator.testbed.OperatorRunner;
import io.pgtrickle.testbed.TestBed;
import io.pgtrickle.testbed.TestNamespace;
import io.pgtrickle.testbed.VolumeProvisioner;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What a PostgresCluster becomes on the real API server, with the real StatefulSet controller,
 * scheduler and garbage collector, and kwok playing the kubelet. Patroni is not running here, so
 * where a test needs a primary it labels a pod as Patroni would.
 */
class PostgresClusterProvisioningIT {

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

  private KubernetesClient client() {
    return NAMESPACE.client();
  }

  private void awaitPhase(String name, ClusterPhase phase, String replicas) {
    await()
        .atMost(CONVERGE)
        .untilAsserted(
            () -> {
              PostgresCluster cluster = fixtures.get(name);
              assertThat(cluster.getStatus()).isNotNull();
              assertThat(cluster.getStatus().getPhase()).isEqualTo(phase);
              assertThat(cluster.getStatus().getReplicas()).isEqualTo(replicas);
              assertThat(cluster.getStatus().getObservedGeneration())
                  .isEqualTo(cluster.getMetadata().getGeneration());
            });
  }

  /** Creating until the members are ready and one is primary, then Running. */
  private void createRunning(String name, String spec, int replicas) {
    fixtures.apply(spec, name);
    await()
        .atMost(CONVERGE)
        .until(
            () ->
                fixtures.pods(name).stream().filter(PostgresClusterProvisioningIT::ready).count()
                    == replicas);
    // Every member ready but none primary yet: still Creating, never Running.
    await()
        .atMost(CONVERGE)
        .untilAsserted(() -> assertThat(phaseOf(name)).isEqualTo(ClusterPhase.Creating));
    fixtures.markPrimary(name + "-0");
    for (int i = 1; i < replicas; i++) {
      fixtures.markReplica(name + "-" + i);
    }
    awaitPhase(name, ClusterPhase.Running, replicas + "/" + replicas);
  }

  @Test
  void createsEveryChildAndReachesRunning() {
    createRunning("my-cluster", "{version: 16, replicas: 3, storage: {size: 1Gi}}", 3);

    PostgresCluster cluster = fixtures.get("my-cluster");
    assertThat(cluster.getStatus().getPrimaryPod()).isEqualTo("my-cluster-0");

    TestBed.Result listed =
        NAMESPACE
            .testBed()
            .kubectl(
                "get",
                "statefulset,svc,configmap,secret",
                "-l",
                "postgres.example.com/cluster=my-cluster",
                "-n",
                NAMESPACE.name(),
                "-o",
                "name");
    assertThat(listed.ok()).as(listed.output()).isTrue();
    assertThat(listed.output().strip().lines().sorted().toList())
        .containsExactly(
            "configmap/my-cluster-patroni",
            "configmap/my-cluster-postgresql",
            "secret/my-cluster-applied-credentials",
            "secret/my-cluster-credentials",
            "secret/my-cluster-replication",
            "service/my-cluster-pods",
            "service/my-cluster-primary",
            "service/my-cluster-replica",
            "statefulset.apps/my-cluster");

    String ns = NAMESPACE.name();
    List<HasMetadata> children =
        List.of(
            client().apps().statefulSets().inNamespace(ns).withName("my-cluster").get(),
            client().services().inNamespace(ns).withName("my-cluster-primary").get(),
            client().services().inNamespace(ns).withName("my-cluster-replica").get(),
            client().services().inNamespace(ns).withName("my-cluster-pods").get(),
            client().configMaps().inNamespace(ns).withName("my-cluster-postgresql").get(),
            client().configMaps().inNamespace(ns).withName("my-cluster-patroni").get(),
            client().secrets().inNamespace(ns).withName("my-cluster-credentials").get(),
            client().secrets().inNamespace(ns).withName("my-cluster-replication").get(),
            client().secrets().inNamespace(ns).withName("my-cluster-applied-credentials").get(),
            client().serviceAccounts().inNamespace(ns).withName("my-cluster-patroni").get(),
            client().rbac().roles().inNamespace(ns).withName("my-cluster-patroni").get(),
            client().rbac().roleBindings().inNamespace(ns).withName("my-cluster-patroni").get(),
            client()
                .policy()
                .v1()
                .podDisruptionBudget()
                .inNamespace(ns)
                .withName("my-cluster")
                .get());
    for (HasMetadata child : children) {
      assertThat(child).as("child missing").isNotNull();
      assertThat(child.getMetadata().getLabels())
          .as(child.getKind() + " " + child.getMetadata().getName())
          .containsEntry("postgres.example.com/cluster", "my-cluster")
          .containsEntry("app.kubernetes.io/managed-by", "pg-trickle-operator")
          .containsEntry("app.kubernetes.io/instance", "my-cluster")
          .containsKeys("app.kubernetes.io/name", "app.kubernetes.io/component");
      assertThat(child.getMetadata().getOwnerReferences())
          .as(child.getKind() + " owner")
          .singleElement()
          .satisfies(o -> assertThat(o.getUid()).isEqualTo(cluster.getMetadata().getUid()));
    }

    Map<String, String> primarySelector =
        client()
            .services()
            .inNamespace(ns)
            .withName("my-cluster-primary")
            .get()
            .getSpec()
            .getSelector();
    assertThat(primarySelector).containsEntry("postgres.example.com/role", "primary");
    // What the Service routes to: exactly the pods its selector matches. (The test bed's pod
    // IPs are loopback addresses, which EndpointSlices may not hold, so the slices stay empty.)
    await()
        .atMost(CONVERGE)
        .untilAsserted(
            () ->
                assertThat(
                        client()
                            .pods()
                            .inNamespace(ns)
                            .withLabels(primarySelector)
                            .list()
                            .getItems()
                            .stream()
                            .map(p -> p.getMetadata().getName())
                            .toList())
                    .containsExactly("my-cluster-0"));

    Secret credentials =
        client().secrets().inNamespace(ns).withName("my-cluster-credentials").get();
    assertThat(credentials.getData()).containsKeys("username", "password");
    assertThat(decode(credentials.getData().get("password"))).hasSize(32);
    ConfigMap patroni = client().configMaps().inNamespace(ns).withName("my-cluster-patroni").get();
    assertThat(patroni.getData().get("patroni.yml"))
        .contains("use_endpoints: false")
        .doesNotContain(decode(credentials.getData().get("password")));
  }

  @Test
  void scalesUpAndDown() {
    createRunning("scaling", "{version: 16, replicas: 1, storage: {size: 1Gi}}", 1);

    fixtures.apply("{version: 16, replicas: 5, storage: {size: 1Gi}}", "scaling");
    await()
        .atMost(CONVERGE)
        .untilAsserted(
            () -> assertThat(phaseOf("scaling")).isIn(ClusterPhase.Scaling, ClusterPhase.Running));
    awaitPhase("scaling", ClusterPhase.Running, "5/5");
    assertThat(
            client()
                .apps()
                .statefulSets()
                .inNamespace(NAMESPACE.name())
                .withName("scaling")
                .get()
                .getSpec()
                .getReplicas())
        .isEqualTo(5);

    fixtures.apply("{version: 16, replicas: 2, storage: {size: 1Gi}}", "scaling");
    awaitPhase("scaling", ClusterPhase.Running, "2/2");
    await()
        .atMost(CONVERGE)
        .untilAsserted(
            () ->
                assertThat(fixtures.pods("scaling").stream().map(p -> p.getMetadata().getName()))
                    .containsExactlyInAnyOrder("scaling-0", "scaling-1"));
    assertThat(fixtures.get("scaling").getStatus().getPrimaryPod()).isEqualTo("scaling-0");
  }

  @Test
  void resizesResourcesInPlaceAndAppliesParameters() {
    createRunning(
        "tuned",
        "{version: 16, replicas: 2, storage: {size: 1Gi}, resources: {requests: {cpu: 100m,"
            + " memory: 256Mi}, limits: {memory: 512Mi}}}",
        2);
    fixtures.markReplica("tuned-1");
    Set<String> uidsBefore = uids("tuned");

    fixtures.apply(
        "{version: 16, replicas: 2, storage: {size: 1Gi}, resources: {requests: {cpu: 200m,"
            + " memory: 512Mi}, limits: {memory: 1Gi}}, postgresqlParams: {max_connections:"
            + " '250'}}",
        "tuned");

    await()
        .atMost(CONVERGE)
        .untilAsserted(
            () -> {
              for (Pod pod : fixtures.pods("tuned")) {
                var resources = pod.getSpec().getContainers().get(0).getResources();
                assertThat(resources.getRequests().get("cpu")).isEqualTo(new Quantity("200m"));
                assertThat(resources.getLimits().get("memory")).isEqualTo(new Quantity("1Gi"));
              }
            });
    awaitPhase("tuned", ClusterPhase.Running, "2/2");
    assertThat(uids("tuned")).as("resized in place, not restarted").isEqualTo(uidsBefore);
    String conf =
        client()
            .configMaps()
            .inNamespace(NAMESPACE.name())
            .withName("tuned-postgresql")
            .get()
            .getData()
            .get("postgresql.conf");
    assertThat(conf).contains("max_connections = '250'").contains("shared_buffers = '256MB'");
    StatefulSet sts =
        client().apps().statefulSets().inNamespace(NAMESPACE.name()).withName("tuned").get();
    assertThat(
            sts.getSpec()
                .getTemplate()
                .getSpec()
                .getContainers()
                .get(0)
                .getResources()
                .getLimits()
                .get("memory"))
        .isEqualTo(new Quantity("1Gi"));
  }

  /**
   * Requests added to members that had none: the API server refuses the in-place resize ("Pod QOS
   * Class may not change as a result of resizing"). Before, the operator restarted each member as
   * its resize was refused, all three at once, the primary included; now one at a time, replicas
   * first, the primary last.
   */
  @Test
  void aResizeTheApiServerRefusesRestartsOneMemberAtATimePrimaryLast() {
    createRunning("qos", "{version: 16, replicas: 3, storage: {size: 1Gi}}", 3);
    Map<String, String> uidsBefore = uidsByName("qos");
    java.util.concurrent.atomic.AtomicInteger mostTerminating =
        new java.util.concurrent.atomic.AtomicInteger();
    try (var watch =
        client()
            .pods()
            .inNamespace(NAMESPACE.name())
            .withLabel("postgres.example.com/cluster", "qos")
            .watch(
                new io.fabric8.kubernetes.client.Watcher<Pod>() {
                  @Override
                  public void eventReceived(Action action, Pod pod) {
                    long terminating =
                        fixtures.pods("qos").stream()
                            .filter(p -> p.getMetadata().getDeletionTimestamp() != null)
                            .count();
                    mostTerminating.accumulateAndGet((int) terminating, Math::max);
                  }

                  @Override
                  public void onClose(io.fabric8.kubernetes.client.WatcherException cause) {}
                })) {
      fixtures.apply(
          "{version: 16, replicas: 3, storage: {size: 1Gi}, resources: {requests: {cpu: 100m,"
              + " memory: 256Mi}, limits: {memory: 1Gi}}}",
          "qos");
      await()
          .atMost(CONVERGE)
          .untilAsserted(
              () -> {
                List<Pod> pods = fixtures.pods("qos");
                assertThat(pods).hasSize(3);
                assertThat(pods)
                    .allSatisfy(
                        p ->
                            assertThat(
                                    p.getSpec()
                                        .getContainers()
                                        .get(0)
                                        .getResources()
                                        .getLimits()
                                        .get("memory"))
                                .isEqualTo(new Quantity("1Gi")));
                assertThat(pods).allSatisfy(p -> assertThat(ready(p)).isTrue());
              });
    }
    assertThat(uidsByName("qos").values()).doesNotContainAnyElementsOf(uidsBefore.values());
    assertThat(mostTerminating.get()).as("members restarted together").isLessThanOrEqualTo(1);
    List<io.fabric8.kubernetes.api.model.Event> events =
        client().v1().events().inNamespace(NAMESPACE.name()).list().getItems().stream()
            .filter(e -> e.getInvolvedObject().getName().equals("qos"))
            .sorted(java.util.Comparator.comparing(e -> e.getMetadata().getCreationTimestamp()))
            .toList();
    assertThat(events).filteredOn(e -> "ResizeRefused".equals(e.getReason())).hasSize(1);
    List<io.fabric8.kubernetes.api.model.Event> restarts =
        events.stream().filter(e -> "RollingRestart".equals(e.getReason())).toList();
    assertThat(restarts).hasSize(3);
    assertThat(restarts.get(2).getMessage()).contains("qos-0");
  }

  @Test
  void changingTheTemplateRestartsReplicasFirstThenThePrimary() {
    createRunning("rolling", "{version: 16, replicas: 3, storage: {size: 1Gi}}", 3);
    Map<String, String> uidsBefore = uidsByName("rolling");

    fixtures.apply(
        "{version: 16, replicas: 3, storage: {size: 1Gi}, image: 'example/postgres:16-custom'}",
        "rolling");

    await()
        .atMost(CONVERGE)
        .untilAsserted(
            () -> {
              List<Pod> pods = fixtures.pods("rolling");
              assertThat(pods).hasSize(3);
              assertThat(pods)
                  .allSatisfy(
                      p ->
                          assertThat(p.getSpec().getContainers().get(0).getImage())
                              .isEqualTo("example/postgres:16-custom"));
              assertThat(pods).allSatisfy(p -> assertThat(ready(p)).isTrue());
            });
    Map<String, String> uidsAfter = uidsByName("rolling");
    assertThat(uidsAfter.values()).doesNotContainAnyElementsOf(uidsBefore.values());
    // No Patroni here to switch over, so the primary pod is restarted last, alone.
    List<io.fabric8.kubernetes.api.model.Event> restarts =
        client().v1().events().inNamespace(NAMESPACE.name()).list().getItems().stream()
            .filter(e -> "RollingRestart".equals(e.getReason()))
            .filter(e -> e.getInvolvedObject().getName().equals("rolling"))
            .sorted(java.util.Comparator.comparing(e -> e.getMetadata().getCreationTimestamp()))
            .toList();
    assertThat(restarts).hasSize(3);
    assertThat(restarts.get(2).getMessage()).contains("rolling-0");
  }

  @Test
  void secretsAreGeneratedOnceAndUserSecretsAreKept() {
    String ns = NAMESPACE.name();
    client()
        .secrets()
        .inNamespace(ns)
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName("mine-credentials")
                .endMetadata()
                .withStringData(Map.of("username", "postgres", "password", "chosen-by-user"))
                .build())
        .create();
    createRunning("mine", "{version: 16, replicas: 1, storage: {size: 1Gi}}", 1);
    Secret replication = client().secrets().inNamespace(ns).withName("mine-replication").get();

    for (int i = 0; i < 5; i++) {
      fixtures.apply(
          "{version: 16, replicas: 1, storage: {size: 1Gi}, postgresqlParams: {work_mem: '"
              + (8 + i)
              + "MB'}}",
          "mine");
      int generation = i + 2;
      await()
          .atMost(CONVERGE)
          .until(() -> fixtures.get("mine").getStatus().getObservedGeneration() == generation);
    }
    operator.close();
    operator = OperatorRunner.start(NAMESPACE.testBed(), NAMESPACE.name());
    awaitPhase("mine", ClusterPhase.Running, "1/1");

    Secret user = client().secrets().inNamespace(ns).withName("mine-credentials").get();
    assertThat(decode(user.getData().get("password"))).isEqualTo("chosen-by-user");
    assertThat(user.getMetadata().getOwnerReferences()).isNullOrEmpty();
    Secret replicationAfter = client().secrets().inNamespace(ns).withName("mine-replication").get();
    assertThat(replicationAfter.getData()).isEqualTo(replication.getData());
    assertThat(replicationAfter.getMetadata().getResourceVersion())
        .isEqualTo(replication.getMetadata().getResourceVersion());
  }

  @Test
  void specsThatCannotWorkFailWithAClearReason() {
    fixtures.apply(
        "{version: 16, replicas: 1, storage: {size: 1Gi}, postgresqlParams: {port: '5433', shared_buffers: 1GB}}",
        "owned");
    await()
        .atMost(CONVERGE)
        .untilAsserted(
            () -> {
              PostgresCluster cluster = fixtures.get("owned");
              assertThat(cluster.getStatus()).isNotNull();
              assertThat(cluster.getStatus().getPhase()).isEqualTo(ClusterPhase.Failed);
              assertThat(cluster.getStatus().getPhaseReason()).isEqualTo("ParameterNotAllowed");
              assertThat(cluster.getStatus().getMessage()).contains("spec.postgresqlParams: port");
            });
    assertThat(client().apps().statefulSets().inNamespace(NAMESPACE.name()).withName("owned").get())
        .isNull();

    fixtures.apply(
        "{version: 16, replicas: 1, storage: {size: 1Gi, storageClass: no-such-class}}",
        "nostorage");
    await()
        .atMost(CONVERGE)
        .untilAsserted(
            () -> {
              PostgresCluster cluster = fixtures.get("nostorage");
              assertThat(cluster.getStatus()).isNotNull();
              assertThat(cluster.getStatus().getPhase()).isEqualTo(ClusterPhase.Failed);
              assertThat(cluster.getStatus().getPhaseReason()).isEqualTo("StorageClassNotFound");
              assertThat(cluster.getStatus().getMessage()).contains("no-such-class");
            });
    assertThat(
            client().v1().events().inNamespace(NAMESPACE.name()).list().getItems().stream()
                .filter(e -> "nostorage".equals(e.getInvolvedObject().getName()))
                .filter(e -> "StorageClassNotFound".equals(e.getReason())))
        .hasSize(1);

    fixtures.apply(
        "{version: 16, replicas: 1, storage: {size: 1Gi}, postgresqlParams: {shared_buffers: 1GB}}",
        "owned");
    await()
        .atMost(CONVERGE)
        .untilAsserted(() -> assertThat(phaseOf("owned")).isNotEqualTo(ClusterPhase.Failed));
  }

  /**
   * wal_level below logical on a cluster a StreamTableCluster reads: the first member restarted
   * with it did not start ("logical replication slot ... exists, but wal_level &lt; logical"). Now
   * refused naming the pipeline, nothing applied; accepted once the pipeline is gone.
   */
  @Test
  void walLevelBelowLogicalIsRefusedWhileAPipelineReadsTheCluster() {
    createRunning("logical", "{version: 16, replicas: 1, storage: {size: 1Gi}}", 1);
    var stc =
        client()
            .getKubernetesSerialization()
            .unmarshal(
                "apiVersion: trickle-labs.io/v1alpha1\nkind: StreamTableCluster\nmetadata:\n"
                    + "  name: shop\n  namespace: "
                    + NAMESPACE.name()
                    + "\nspec:\n  postgresql:\n    clusterRef:\n      name: logical\n"
                    + "    database: postgres\n  workers:\n    max: 2\n",
                io.pgtrickle.operator.api.streams.StreamTableCluster.class);
    client().resource(stc).create();
    fixtures.apply(
        "{version: 16, replicas: 1, storage: {size: 1Gi}, postgresqlParams: {wal_level: replica}}",
        "logical");
    await()
        .atMost(CONVERGE)
        .untilAsserted(
            () -> {
              PostgresCluster cluster = fixtures.get("logical");
              assertThat(cluster.getStatus().getPhaseReason()).isEqualTo("ParameterInvalid");
              assertThat(cluster.getStatus().getMessage())
                  .contains("spec.postgresqlParams.wal_level: replica")
                  .contains("StreamTableCluster shop");
            });
    assertThat(
            client()
                .configMaps()
                .inNamespace(NAMESPACE.name())
                .withName("logical-postgresql")
                .get()
                .getData()
                .get("postgresql.conf"))
        .as("nothing applied")
        .doesNotContain("wal_level = 'replica'");

    // The pipeline's own deletion is not what this test is about: it is deleted first (so the
    // operator cannot add its finalizer back), then its finalizer is taken off with a merge
    // patch, which carries no resourceVersion and so cannot conflict with the operator's writes.
    var shop =
        client()
            .resources(io.pgtrickle.operator.api.streams.StreamTableCluster.class)
            .inNamespace(NAMESPACE.name())
            .withName("shop");
    shop.delete();
    await()
        .atMost(CONVERGE)
        .ignoreExceptions()
        .untilAsserted(
            () -> {
              if (shop.get() != null) {
                shop.patch(
                    io.fabric8.kubernetes.client.dsl.base.PatchContext.of(
                        io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE),
                    "{\"metadata\":{\"finalizers\":null}}");
              }
              assertThat(shop.get()).isNull();
            });
    await()
        .atMost(CONVERGE)
        .untilAsserted(
            () ->
                assertThat(
                        client()
                            .configMaps()
                            .inNamespace(NAMESPACE.name())
                            .withName("logical-postgresql")
                            .get()
                            .getData()
                            .get("postgresql.conf"))
                    .contains("wal_level = 'replica'"));
  }

  @Test
  void deletionRemovesChildrenAndPatroniStateAndKeepsVolumesByDefault() {
    createRunning("doomed", "{version: 16, replicas: 2, storage: {size: 1Gi}}", 2);
    createRunning(
        "doomed-fully",
        "{version: 16, replicas: 1, storage: {size: 1Gi, reclaimPolicy: Delete}}",
        1);
    String ns = NAMESPACE.name();
    for (String cluster : List.of("doomed", "doomed-fully")) {
      // What Patroni leaves in its DCS: a leader lock ConfigMap with its own labels.
      client()
          .configMaps()
          .inNamespace(ns)
          .resource(
              new ConfigMapBuilder()
                  .withNewMetadata()
                  .withName(cluster + "-leader")
                  .addToLabels("postgres.example.com/patroni-scope", cluster)
                  .addToLabels("app.kubernetes.io/part-of", "pg-trickle")
                  .endMetadata()
                  .build())
          .create();
    }
    assertThat(fixtures.get("doomed").getMetadata().getFinalizers()).isNotEmpty();

    client().resources(PostgresCluster.class).inNamespace(ns).withName("doomed").delete();
    client().resources(PostgresCluster.class).inNamespace(ns).withName("doomed-fully").delete();

    await()
        .atMost(CONVERGE)
        .untilAsserted(
            () -> {
              assertThat(fixtures.get("doomed")).isNull();
              assertThat(client().configMaps().inNamespace(ns).withName("doomed-leader").get())
                  .isNull();
              assertThat(client().apps().statefulSets().inNamespace(ns).withName("doomed").get())
                  .isNull();
              assertThat(client().services().inNamespace(ns).withName("doomed-primary").get())
                  .isNull();
              assertThat(fixtures.pods("doomed")).isEmpty();
              assertThat(fixtures.get("doomed-fully")).isNull();
              assertThat(
                      client()
                          .persistentVolumeClaims()
                          .inNamespace(ns)
                          .withName("data-doomed-fully-0")
                          .get())
                  .isNull();
            });
    assertThat(client().persistentVolumeClaims().inNamespace(ns).withName("data-doomed-0").get())
        .as("volumes are kept unless the spec asks otherwise")
        .isNotNull();
  }

  @Test
  void operatorStoppedMidReconcileConvergesWithoutDuplicates() {
    operator.close();
    for (int i = 0; i < 3; i++) {
      fixtures.apply("{version: 16, replicas: 3, storage: {size: 1Gi}}", "interrupted-" + i);
    }
    // Stop it while the first reconciles are in flight, then start a fresh one.
    operator = OperatorRunner.start(NAMESPACE.testBed(), NAMESPACE.name());
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> fixtures.get("interrupted-0").getStatus() != null);
    operator.close();
    operator = OperatorRunner.start(NAMESPACE.testBed(), NAMESPACE.name());

    for (int i = 0; i < 3; i++) {
      String name = "interrupted-" + i;
      await()
          .atMost(CONVERGE)
          .until(
              () ->
                  fixtures.pods(name).stream().filter(PostgresClusterProvisioningIT::ready).count()
                      == 3);
      fixtures.markPrimary(name + "-0");
      awaitPhase(name, ClusterPhase.Running, "3/3");
      Set<String> kinds =
          List.of(
                  "statefulset",
                  "service",
                  "configmap",
                  "secret",
                  "serviceaccount",
                  "role",
                  "rolebinding",
                  "poddisruptionbudget")
              .stream()
              .flatMap(
                  kind ->
                      NAMESPACE
                          .testBed()
                          .kubectl(
                              "get",
                              kind,
                              "-n",
                              NAMESPACE.name(),
                              "-l",
                              "postgres.example.com/cluster=" + name,
                              "-o",
                              "name")
                          .output()
                          .lines())
              .collect(Collectors.toSet());
      assertThat(kinds).hasSize(ClusterChildren.COUNT);
    }
  }

  private ClusterPhase phaseOf(String name) {
    PostgresCluster cluster = fixtures.get(name);
    return cluster == null || cluster.getStatus() == null ? null : cluster.getStatus().getPhase();
  }

  static boolean ready(Pod pod) {
    return pod.getStatus() != null
        && pod.getStatus().getConditions() != null
        && pod.getStatus().getConditions().stream()
            .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
  }

  private Set<String> uids(String cluster) {
    return fixtures.pods(cluster).stream()
        .map(p -> p.getMetadata().getUid())
        .collect(Collectors.toSet());
  }

  private Map<String, String> uidsByName(String cluster) {
    return fixtures.pods(cluster).stream()
        .collect(Collectors.toMap(p -> p.getMetadata().getName(), p -> p.getMetadata().getUid()));
  }

  private static String decode(String base64) {
    return new String(
        java.util.Base64.getDecoder().decode(base64), java.nio.charset.StandardCharsets.UTF_8);
  }
}
