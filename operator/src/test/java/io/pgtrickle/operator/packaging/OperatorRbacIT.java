package io.pgtrickle.operator.packaging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.pgtrickle.operator.api.ClusterPhase;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.postgres.ClusterNames;
import io.pgtrickle.operator.testbed.Edits;
import io.pgtrickle.operator.testbed.OperatorRunner;
import io.pgtrickle.testbed.TestNamespace;
import io.pgtrickle.testbed.VolumeProvisioner;
import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The chart's RBAC is what the operator needs, and no more: the chart is installed watching one
 * namespace, and the operator runs in this JVM authenticated with a token of the chart's
 * ServiceAccount, so the API server's RBAC authorizer decides every request it makes, leader
 * election included. It must provision, resize, restart and delete clusters, and be refused what it
 * has no business doing.
 */
class OperatorRbacIT {

  /** The watched namespace, where the PostgresClusters live. */
  @RegisterExtension static final TestNamespace WATCHED = new TestNamespace();

  private static final Duration CONVERGE = Duration.ofSeconds(60);
  private static final String LEASE = "pg-trickle-operator";

  private static String operatorNamespace;
  private static String otherNamespace;
  private static String release;
  private static KubernetesClient asOperator;
  private static OperatorRunner operator;
  private static VolumeProvisioner volumes;

  @BeforeAll
  static void installAndStartTheOperatorAsItsServiceAccount() throws IOException {
    String suffix = WATCHED.name().substring(WATCHED.name().lastIndexOf('-') + 1);
    operatorNamespace = "rbac-operator-" + suffix;
    otherNamespace = "rbac-other-" + suffix;
    release = "pg-trickle-" + suffix;
    admin()
        .namespaces()
        .resource(io.pgtrickle.testbed.TestBed.testNamespace(otherNamespace))
        .create();
    admin()
        .secrets()
        .inNamespace(otherNamespace)
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName("not-yours")
                .endMetadata()
                .withStringData(Map.of("password", "secret"))
                .build())
        .create();

    PgTrickleChart.install(
        WATCHED.testBed().kubeconfig(),
        release,
        operatorNamespace,
        Map.of("watchNamespaces", List.of(WATCHED.name())));

    asOperator = clientWithToken(serviceAccountToken(release + "-operator"));
    // The API server authorizes from an informer cache of the RBAC objects: wait until it has
    // the new bindings, or the operator's first list could be refused and stop its start-up.
    await()
        .atMost(CONVERGE)
        .until(
            () ->
                authorized(
                        () ->
                            asOperator
                                .resources(PostgresCluster.class)
                                .inNamespace(WATCHED.name())
                                .list())
                    && authorized(
                        () ->
                            asOperator
                                .leases()
                                .inNamespace(operatorNamespace)
                                .withName(LEASE)
                                .get()));
    volumes = new VolumeProvisioner(admin(), WATCHED.name());
    operator =
        OperatorRunner.startLeaderElected(asOperator, WATCHED.name(), LEASE, operatorNamespace);
  }

  @AfterAll
  static void stopAndUninstall() {
    if (operator != null) {
      operator.close();
    }
    if (volumes != null) {
      volumes.close();
    }
    PgTrickleChart.uninstall(WATCHED.testBed().kubeconfig(), release, operatorNamespace);
    admin().namespaces().withName(operatorNamespace).delete();
    admin().namespaces().withName(otherNamespace).delete();
  }

  private static KubernetesClient admin() {
    return WATCHED.client();
  }

  private static String serviceAccountToken(String serviceAccount) {
    return admin()
        .serviceAccounts()
        .inNamespace(operatorNamespace)
        .withName(serviceAccount)
        .tokenRequest(
            new TokenRequestBuilder().withNewSpec().withExpirationSeconds(3600L).endSpec().build())
        .getStatus()
        .getToken();
  }

  /** The test bed's API server and CA from its kubeconfig, but the ServiceAccount's identity. */
  private static KubernetesClient clientWithToken(String token) throws IOException {
    Config kubeconfig = Config.fromKubeconfig(Files.readString(WATCHED.testBed().kubeconfig()));
    Config config =
        new ConfigBuilder(Config.empty())
            .withMasterUrl(kubeconfig.getMasterUrl())
            .withCaCertFile(kubeconfig.getCaCertFile())
            .withCaCertData(kubeconfig.getCaCertData())
            .withOauthToken(token)
            .build();
    return new KubernetesClientBuilder().withConfig(config).build();
  }

  @Test
  void electsItselfLeaderAndProvisionsAClusterWithOnlyTheChartsRbac() {
    createRunning("rbac-basic", "{version: 16, replicas: 2, storage: {size: 1Gi}}", 2);

    String ns = WATCHED.name();
    assertThat(admin().apps().statefulSets().inNamespace(ns).withName("rbac-basic").get())
        .isNotNull();
    assertThat(admin().services().inNamespace(ns).withName("rbac-basic-primary").get()).isNotNull();
    assertThat(admin().configMaps().inNamespace(ns).withName("rbac-basic-patroni").get())
        .isNotNull();
    assertThat(admin().secrets().inNamespace(ns).withName("rbac-basic-credentials").get())
        .isNotNull();
    assertThat(admin().rbac().roles().inNamespace(ns).withName("rbac-basic-patroni").get())
        .as("Patroni's Role: the operator holds what it grants")
        .isNotNull();
    assertThat(admin().rbac().roleBindings().inNamespace(ns).withName("rbac-basic-patroni").get())
        .isNotNull();
    assertThat(
            admin()
                .policy()
                .v1()
                .podDisruptionBudget()
                .inNamespace(ns)
                .withName("rbac-basic")
                .get())
        .isNotNull();
    assertThat(admin().v1().events().inNamespace(ns).list().getItems())
        .anyMatch(
            e ->
                "ClusterReady".equals(e.getReason())
                    && "rbac-basic".equals(e.getInvolvedObject().getName()));

    Lease lease = admin().leases().inNamespace(operatorNamespace).withName(LEASE).get();
    assertThat(lease).isNotNull();
    assertThat(lease.getSpec().getHolderIdentity()).isNotBlank();
  }

  @Test
  void resizesPodsInPlaceAndRestartsThemForANewTemplate() {
    String spec =
        "{version: 16, replicas: 1, storage: {size: 1Gi}, resources: {requests: {cpu: 100m,"
            + " memory: 256Mi}, limits: {memory: 512Mi}}%s}";
    createRunning("rbac-rollout", spec.formatted(""), 1);
    String uid = pods("rbac-rollout").get(0).getMetadata().getUid();

    apply("rbac-rollout", spec.replace("512Mi", "1Gi").formatted(""));
    await()
        .atMost(CONVERGE)
        .untilAsserted(
            () ->
                assertThat(
                        pods("rbac-rollout")
                            .get(0)
                            .getSpec()
                            .getContainers()
                            .get(0)
                            .getResources()
                            .getLimits()
                            .get("memory"))
                    .isEqualTo(new Quantity("1Gi")));
    assertThat(pods("rbac-rollout").get(0).getMetadata().getUid())
        .as("resized through pods/resize, not restarted")
        .isEqualTo(uid);

    apply("rbac-rollout", spec.replace("512Mi", "1Gi").formatted(", image: example/pg:16-x"));
    await()
        .atMost(CONVERGE)
        .untilAsserted(
            () -> {
              List<Pod> pods = pods("rbac-rollout");
              assertThat(pods).singleElement();
              assertThat(pods.get(0).getMetadata().getUid()).isNotEqualTo(uid);
              assertThat(pods.get(0).getSpec().getContainers().get(0).getImage())
                  .isEqualTo("example/pg:16-x");
            });
  }

  /** Volume expansion: the claims' StorageClass read, their requests raised by a patch. */
  @Test
  void growsTheMembersVolumes() {
    String storageClass = "rbac-expandable-" + WATCHED.name();
    io.pgtrickle.testbed.TestStorageClasses.create(admin(), storageClass, true);
    try {
      String spec =
          "{version: 16, replicas: 1, storage: {size: %s, storageClass: " + storageClass + "}}";
      createRunning("rbac-grow", spec.formatted("1Gi"), 1);
      apply("rbac-grow", spec.formatted("2Gi"));
      await()
          .atMost(CONVERGE)
          .untilAsserted(
              () ->
                  assertThat(
                          admin()
                              .persistentVolumeClaims()
                              .inNamespace(WATCHED.name())
                              .withName("data-rbac-grow-0")
                              .get()
                              .getStatus()
                              .getCapacity()
                              .get("storage"))
                      .isEqualTo(new Quantity("2Gi")));
    } finally {
      io.pgtrickle.testbed.TestStorageClasses.delete(admin(), storageClass);
    }
  }

  /**
   * Turning the pooler and the metrics off removes their Service and ConfigMaps; their logins'
   * Secrets stay (the operator may not delete Secrets), and no child is refused. Before, the
   * chart's RBAC refused both deletes, and every reconcile failed (ResourceRejected).
   */
  @Test
  void turnsThePoolerAndTheMetricsOff() {
    String on = "{version: 16, replicas: 1, storage: {size: 1Gi}, %s}";
    createRunning(
        "rbac-off", on.formatted("pgbouncer: {enabled: true}, metrics: {enabled: true}"), 1);
    String ns = WATCHED.name();
    await()
        .atMost(CONVERGE)
        .until(() -> admin().services().inNamespace(ns).withName("rbac-off-pooler").get() != null);
    apply("rbac-off", on.formatted("pgbouncer: {enabled: false}, metrics: {enabled: false}"));
    await()
        .atMost(CONVERGE)
        .during(Duration.ofSeconds(5))
        .untilAsserted(
            () -> {
              assertThat(admin().services().inNamespace(ns).withName("rbac-off-pooler").get())
                  .isNull();
              assertThat(admin().configMaps().inNamespace(ns).withName("rbac-off-pgbouncer").get())
                  .isNull();
              // The member restarts without its sidecars (Patroni does not run here, so the
              // phase is not checked); what matters is that no child was refused.
              PostgresCluster cluster = get("rbac-off");
              assertThat(cluster.getStatus().getConditions())
                  .noneMatch(c -> "ResourceRejected".equals(c.getReason()));
            });
    assertThat(admin().secrets().inNamespace(ns).withName("rbac-off-pgbouncer").get()).isNotNull();
  }

  @Test
  void deletesAClusterWithPatronisStateAndRemovesItsFinalizer() {
    createRunning("rbac-doomed", "{version: 16, replicas: 1, storage: {size: 1Gi}}", 1);
    String ns = WATCHED.name();
    admin()
        .configMaps()
        .inNamespace(ns)
        .resource(
            new ConfigMapBuilder()
                .withNewMetadata()
                .withName("rbac-doomed-leader")
                .addToLabels(ClusterNames.PATRONI_SCOPE_LABEL, "rbac-doomed")
                .addToLabels(ClusterNames.PATRONI_LABEL, ClusterNames.PATRONI_LABEL_VALUE)
                .endMetadata()
                .build())
        .create();

    admin().resources(PostgresCluster.class).inNamespace(ns).withName("rbac-doomed").delete();

    await()
        .atMost(CONVERGE)
        .untilAsserted(
            () -> {
              assertThat(get("rbac-doomed")).isNull();
              assertThat(admin().configMaps().inNamespace(ns).withName("rbac-doomed-leader").get())
                  .isNull();
            });
  }

  @Test
  void cannotReadSecretsOutsideTheWatchedNamespace() {
    assertForbidden(() -> asOperator.secrets().inNamespace(otherNamespace).list());
    assertForbidden(
        () -> asOperator.secrets().inNamespace(otherNamespace).withName("not-yours").get());
    assertForbidden(() -> asOperator.secrets().inAnyNamespace().list());
    assertForbidden(() -> asOperator.configMaps().inNamespace(otherNamespace).list());
  }

  @Test
  void cannotUpdateOrDeleteSecretsItCreated() {
    apply("rbac-secrets", "{version: 16, replicas: 1, storage: {size: 1Gi}}");
    // It may read the Secrets of its namespace.
    Secret credentials =
        await()
            .atMost(CONVERGE)
            .until(
                () ->
                    asOperator
                        .secrets()
                        .inNamespace(WATCHED.name())
                        .withName("rbac-secrets-credentials")
                        .get(),
                Objects::nonNull);

    credentials.getMetadata().getLabels().put("changed", "true");
    assertForbidden(() -> asOperator.resource(credentials).update());
    assertForbidden(
        () ->
            asOperator
                .secrets()
                .inNamespace(WATCHED.name())
                .withName("rbac-secrets-credentials")
                .delete());
  }

  private static boolean authorized(Runnable call) {
    try {
      call.run();
      return true;
    } catch (KubernetesClientException e) {
      if (e.getCode() == 403) {
        return false;
      }
      throw e;
    }
  }

  private static void assertForbidden(ThrowingCallable call) {
    assertThatThrownBy(call)
        .isInstanceOf(KubernetesClientException.class)
        .satisfies(e -> assertThat(((KubernetesClientException) e).getCode()).isEqualTo(403));
  }

  /** Creating until the members are ready, then Running once one is labelled primary. */
  private void createRunning(String name, String spec, int replicas) {
    apply(name, spec);
    await()
        .atMost(CONVERGE)
        .until(() -> pods(name).stream().filter(OperatorRbacIT::ready).count() == replicas);
    // Patroni is not running here; label the primary as it would.
    Edits.edit(
        admin().pods().inNamespace(WATCHED.name()).withName(name + "-0"),
        p -> {
          p.getMetadata().getLabels().put(ClusterNames.ROLE_LABEL, ClusterNames.ROLE_PRIMARY);
          return p;
        });
    await()
        .atMost(CONVERGE)
        .untilAsserted(
            () -> {
              PostgresCluster cluster = get(name);
              assertThat(cluster.getStatus()).isNotNull();
              assertThat(cluster.getStatus().getPhase()).isEqualTo(ClusterPhase.Running);
              assertThat(cluster.getStatus().getReplicas()).isEqualTo(replicas + "/" + replicas);
            });
  }

  private void apply(String name, String spec) {
    String yaml =
        "apiVersion: postgres.example.com/v1\nkind: PostgresCluster\nmetadata:\n  name: "
            + name
            + "\n  namespace: "
            + WATCHED.name()
            + "\nspec: "
            + spec
            + "\n";
    admin()
        .resource(admin().getKubernetesSerialization().unmarshal(yaml, PostgresCluster.class))
        .fieldManager("test")
        .forceConflicts()
        .serverSideApply();
  }

  private static PostgresCluster get(String name) {
    return admin()
        .resources(PostgresCluster.class)
        .inNamespace(WATCHED.name())
        .withName(name)
        .get();
  }

  private static List<Pod> pods(String cluster) {
    return admin()
        .pods()
        .inNamespace(WATCHED.name())
        .withLabel(ClusterNames.CLUSTER_LABEL, cluster)
        .list()
        .getItems()
        .stream()
        .filter(p -> p.getMetadata().getDeletionTimestamp() == null)
        .toList();
  }

  private static boolean ready(Pod pod) {
    return pod.getStatus() != null
        && pod.getStatus().getConditions() != null
        && pod.getStatus().getConditions().stream()
            .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
  }
}
