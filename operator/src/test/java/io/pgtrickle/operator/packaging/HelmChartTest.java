package io.pgtrickle.operator.packaging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.marcnuri.helm.LintResult;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.postgres.spec.PatroniRbac;
import io.pgtrickle.operator.postgres.spec.PostgresImages;
import io.pgtrickle.operator.streams.spec.PipelineImages;
import io.pgtrickle.testbed.TestBed;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The chart without a cluster: lint, and what it renders for each mode. {@link HelmInstallIT} and
 * {@link OperatorRbacIT} check the same objects against the real API server.
 */
class HelmChartTest {

  private static final String RELEASE = "pg-trickle";
  private static final String NAMESPACE = "pg-trickle-system";
  private static final String OPERATOR = "pg-trickle-operator";

  private static List<HasMetadata> render(Map<String, Object> values) {
    return PgTrickleChart.render(RELEASE, NAMESPACE, values);
  }

  /** The operator's objects of a type; the metrics adapter's are MetricsAdapterChartTest's. */
  private static <T extends HasMetadata> List<T> all(List<HasMetadata> objects, Class<T> type) {
    return objects.stream()
        .filter(type::isInstance)
        .filter(
            o ->
                o.getMetadata().getLabels() == null
                    || !"metrics-adapter"
                        .equals(o.getMetadata().getLabels().get("app.kubernetes.io/component")))
        .map(type::cast)
        .toList();
  }

  private static <T extends HasMetadata> T one(
      List<HasMetadata> objects, Class<T> type, String name) {
    List<T> named =
        all(objects, type).stream().filter(o -> o.getMetadata().getName().equals(name)).toList();
    assertThat(named).as("%s %s", type.getSimpleName(), name).hasSize(1);
    return named.get(0);
  }

  private static Container operatorContainer(Deployment deployment) {
    return deployment.getSpec().getTemplate().getSpec().getContainers().get(0);
  }

  private static Map<String, EnvVar> env(Deployment deployment) {
    return operatorContainer(deployment).getEnv().stream()
        .collect(Collectors.toMap(EnvVar::getName, e -> e));
  }

  @Test
  void lintsWithoutWarnings() {
    LintResult lint = PgTrickleChart.helm().lint().strict().call();
    assertThat(lint.isFailed()).as(String.join("\n", lint.getMessages())).isFalse();
    assertThat(lint.getMessages()).noneMatch(m -> m.contains("[WARNING]") || m.contains("[ERROR]"));
  }

  @Test
  void chartCrdsAreTheGeneratedOnes() throws IOException {
    Path chartCrds = PgTrickleChart.DIRECTORY.resolve("crds");
    Path deployCrds = TestBed.repositoryRoot().resolve("deploy/crds");
    try (Stream<Path> committed = Files.list(deployCrds);
        Stream<Path> inChart = Files.list(chartCrds)) {
      assertThat(inChart.map(p -> p.getFileName().toString()).sorted().toList())
          .as("charts/pg-trickle/crds holds the files of deploy/crds; run `make crds`")
          .isEqualTo(committed.map(p -> p.getFileName().toString()).sorted().toList());
    }
    try (Stream<Path> committed = Files.list(deployCrds)) {
      for (Path crd : committed.toList()) {
        assertThat(Files.readString(chartCrds.resolve(crd.getFileName())))
            .as("charts/pg-trickle/crds/%s is stale; run `make crds`", crd.getFileName())
            .isEqualTo(Files.readString(crd));
      }
    }
  }

  @Test
  void byDefaultTheOperatorWatchesEveryNamespaceThroughAClusterRole() {
    List<HasMetadata> objects = render(Map.of());

    ClusterRole role = one(objects, ClusterRole.class, OPERATOR);
    assertThat(allows(role.getRules(), "", "secrets", "list")).isTrue();
    ClusterRoleBinding binding = one(objects, ClusterRoleBinding.class, OPERATOR);
    assertThat(binding.getSubjects())
        .singleElement()
        .satisfies(
            s -> {
              assertThat(s.getName()).isEqualTo(OPERATOR);
              assertThat(s.getNamespace()).isEqualTo(NAMESPACE);
            });
    assertThat(all(objects, Role.class))
        .as("only the leader election Role")
        .extracting(r -> r.getMetadata().getName())
        .containsExactly(OPERATOR + "-leader-election");
    assertThat(env(one(objects, Deployment.class, OPERATOR)).get("WATCH_NAMESPACES").getValue())
        .isEmpty();
  }

  @Test
  void watchedNamespacesGetARoleEachAndNothingClusterWideButTwoReads() {
    List<HasMetadata> objects = render(Map.of("watchNamespaces", List.of("team-a", "team-b")));

    for (String namespace : List.of("team-a", "team-b")) {
      Role role =
          all(objects, Role.class).stream()
              .filter(r -> namespace.equals(r.getMetadata().getNamespace()))
              .findFirst()
              .orElseThrow();
      assertThat(role.getMetadata().getName()).isEqualTo(OPERATOR);
      assertThat(
              all(objects, RoleBinding.class).stream()
                  .filter(b -> namespace.equals(b.getMetadata().getNamespace()))
                  .map(b -> b.getRoleRef().getName()))
          .containsExactly(OPERATOR);
    }
    assertThat(all(objects, ClusterRole.class))
        .singleElement()
        .satisfies(
            role -> {
              assertThat(role.getMetadata().getName()).isEqualTo(OPERATOR + "-cluster-reads");
              assertThat(role.getRules())
                  .hasSize(2)
                  .allSatisfy(rule -> assertThat(rule.getVerbs()).containsExactly("get"));
              assertThat(role.getRules().get(0).getResources()).containsExactly("storageclasses");
              // Only the one APIService whose owner a failing HPA is explained by.
              assertThat(role.getRules().get(1).getResources()).containsExactly("apiservices");
              assertThat(role.getRules().get(1).getResourceNames())
                  .containsExactly("v1beta2.custom.metrics.k8s.io");
            });
    assertThat(env(one(objects, Deployment.class, OPERATOR)).get("WATCH_NAMESPACES").getValue())
        .isEqualTo("team-a,team-b");
  }

  /**
   * Secrets are never updated or deleted; patch is held for the operator's own record of applied
   * passwords (NAME-applied-credentials, server-side apply).
   */
  @Test
  void secretsAreNeverUpdatedOrDeleted() {
    List<PolicyRule> rules = one(render(Map.of()), ClusterRole.class, OPERATOR).getRules();
    assertThat(Stream.of("get", "list", "watch", "create", "patch"))
        .allMatch(verb -> allows(rules, "", "secrets", verb));
    assertThat(Stream.of("update", "delete", "deletecollection"))
        .noneMatch(verb -> allows(rules, "", "secrets", verb));
  }

  /** What a StreamTableCluster's reconciler needs, and no more (issue #14). */
  @Test
  void streamTableClustersAndTheirChildrenAreCoveredWithLeastPrivilege() {
    List<PolicyRule> rules = one(render(Map.of()), ClusterRole.class, OPERATOR).getRules();
    assertThat(Stream.of("get", "list", "watch", "patch"))
        .allMatch(verb -> allows(rules, "trickle-labs.io", "streamtableclusters", verb));
    assertThat(allows(rules, "trickle-labs.io", "streamtableclusters/status", "patch")).isTrue();
    assertThat(allows(rules, "trickle-labs.io", "streamtableclusters", "delete")).isFalse();
    assertThat(allows(rules, "apps", "deployments", "patch")).isTrue();
    assertThat(allows(rules, "apps", "deployments", "delete")).isFalse();
    assertThat(allows(rules, "apps", "statefulsets", "delete")).isFalse();
    assertThat(allows(rules, "autoscaling", "horizontalpodautoscalers", "delete")).isTrue();
    assertThat(allows(rules, "batch", "jobs", "create")).isTrue();
    assertThat(allows(rules, "monitoring.coreos.com", "servicemonitors", "patch")).isTrue();
  }

  /**
   * A PostgresCluster's PodMonitor (spec.metrics.enabled) is server-side applied and deleted when
   * metrics are turned off; without these verbs the operator only logged a warning.
   */
  @Test
  void podMonitorsAreCovered() {
    List<PolicyRule> rules = one(render(Map.of()), ClusterRole.class, OPERATOR).getRules();
    assertThat(Stream.of("get", "create", "patch", "delete"))
        .allMatch(verb -> allows(rules, "monitoring.coreos.com", "podmonitors", verb));
    // NAME-pooler goes when spec.pgbouncer.enabled is turned off.
    assertThat(allows(rules, "", "services", "delete")).isTrue();
  }

  /**
   * The API server lets nobody create a Role granting more than they hold themselves, so the
   * operator must hold everything Patroni's Role grants, in every namespace it manages.
   */
  @Test
  void operatorHoldsEveryPermissionItGrantsToPatroni() {
    PostgresCluster cluster = new PostgresCluster();
    cluster.setMetadata(new ObjectMetaBuilder().withName("any").withNamespace("team-a").build());
    List<PolicyRule> granted = PatroniRbac.role(cluster).getRules();

    List<PolicyRule> clusterWide = one(render(Map.of()), ClusterRole.class, OPERATOR).getRules();
    List<PolicyRule> perNamespace =
        one(render(Map.of("watchNamespaces", List.of("team-a"))), Role.class, OPERATOR).getRules();
    for (PolicyRule rule : granted) {
      for (String group : rule.getApiGroups()) {
        for (String resource : rule.getResources()) {
          for (String verb : rule.getVerbs()) {
            assertThat(allows(clusterWide, group, resource, verb))
                .as("ClusterRole allows %s %s", verb, resource)
                .isTrue();
            assertThat(allows(perNamespace, group, resource, verb))
                .as("Role allows %s %s", verb, resource)
                .isTrue();
          }
        }
      }
    }
  }

  @Test
  void deploymentRunsRestrictedWithProbesAndTheRuntimeEnvironment() throws IOException {
    Deployment deployment = one(render(Map.of()), Deployment.class, OPERATOR);
    PodSpec pod = deployment.getSpec().getTemplate().getSpec();
    Container container = operatorContainer(deployment);

    assertThat(deployment.getSpec().getReplicas()).isEqualTo(1);
    assertThat(pod.getServiceAccountName()).isEqualTo(OPERATOR);
    assertThat(container.getImage()).isEqualTo("ghcr.io/pg-trickle/operator:" + appVersion());

    assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
    assertThat(pod.getSecurityContext().getRunAsUser()).isEqualTo(1000L);
    assertThat(pod.getSecurityContext().getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
    assertThat(container.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
    assertThat(container.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
    assertThat(container.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
    assertThat(container.getVolumeMounts())
        .singleElement()
        .satisfies(m -> assertThat(m.getMountPath()).isEqualTo("/tmp"));
    assertThat(pod.getVolumes())
        .singleElement()
        .satisfies(v -> assertThat(v.getEmptyDir()).isNotNull());

    assertThat(container.getPorts())
        .singleElement()
        .satisfies(p -> assertThat(p.getContainerPort()).isEqualTo(8080));
    assertThat(container.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/healthz");
    assertThat(container.getStartupProbe().getHttpGet().getPath()).isEqualTo("/healthz");
    assertThat(container.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/readyz");
    assertThat(container.getResources().getLimits()).containsKey("memory");

    Map<String, EnvVar> env = env(deployment);
    assertThat(env)
        .containsOnlyKeys(
            "WATCH_NAMESPACES",
            "OPERATOR_NAMESPACE",
            PostgresImages.REPOSITORY_ENV,
            PipelineImages.CDC_ENV,
            PipelineImages.WORKER_ENV,
            "LOG_LEVEL",
            "LEADER_ELECTION");
    assertThat(env.get(PipelineImages.CDC_ENV).getValue()).isEqualTo(PipelineImages.DEFAULT_CDC);
    assertThat(env.get(PipelineImages.WORKER_ENV).getValue())
        .isEqualTo(PipelineImages.DEFAULT_WORKER);
    assertThat(env.get("OPERATOR_NAMESPACE").getValueFrom().getFieldRef().getFieldPath())
        .isEqualTo("metadata.namespace");
    assertThat(env.get(PostgresImages.REPOSITORY_ENV).getValue())
        .isEqualTo(PostgresImages.DEFAULT_REPOSITORY);
    assertThat(env.get("LOG_LEVEL").getValue()).isEqualTo("INFO");
    assertThat(env.get("LEADER_ELECTION").getValue()).isEqualTo("true");
  }

  @Test
  void twoReplicasGetADisruptionBudgetAndMustElectALeader() {
    assertThat(all(render(Map.of()), PodDisruptionBudget.class)).isEmpty();

    List<HasMetadata> objects = render(Map.of("replicaCount", 2));
    assertThat(one(objects, Deployment.class, OPERATOR).getSpec().getReplicas()).isEqualTo(2);
    PodDisruptionBudget budget = one(objects, PodDisruptionBudget.class, OPERATOR);
    assertThat(budget.getSpec().getMinAvailable().getIntVal()).isEqualTo(1);
    assertThat(budget.getSpec().getSelector().getMatchLabels())
        .isEqualTo(
            one(objects, Deployment.class, OPERATOR).getSpec().getSelector().getMatchLabels());

    assertThatThrownBy(
            () -> render(Map.of("replicaCount", 2, "leaderElection", Map.of("enabled", false))))
        .hasMessageContaining("leaderElection.enabled must be true when replicaCount");
  }

  @Test
  void withoutLeaderElectionThereIsNoLeaseAccessAndPodsAreReplacedNotOverlapped() {
    List<HasMetadata> objects = render(Map.of("leaderElection", Map.of("enabled", false)));
    Deployment deployment = one(objects, Deployment.class, OPERATOR);
    assertThat(deployment.getSpec().getStrategy().getType()).isEqualTo("Recreate");
    assertThat(env(deployment).get("LEADER_ELECTION").getValue()).isEqualTo("false");
    assertThat(all(objects, Role.class)).isEmpty();
  }

  @Test
  void leaseAccessIsLimitedToTheOperatorsLease() {
    Role role = one(render(Map.of()), Role.class, OPERATOR + "-leader-election");
    assertThat(role.getMetadata().getNamespace()).isEqualTo(NAMESPACE);
    for (String verb : List.of("get", "update", "patch")) {
      assertThat(role.getRules())
          .filteredOn(r -> r.getVerbs().contains(verb))
          .singleElement()
          .satisfies(r -> assertThat(r.getResourceNames()).containsExactly(OPERATOR));
    }
    assertThat(allows(role.getRules(), "coordination.k8s.io", "leases", "create")).isTrue();
    assertThat(allows(role.getRules(), "coordination.k8s.io", "leases", "delete")).isFalse();
  }

  @Test
  void serviceMonitorOnlyWhenAskedFor() {
    assertThat(render(Map.of())).noneMatch(o -> "ServiceMonitor".equals(o.getKind()));

    List<HasMetadata> objects =
        render(Map.of("metrics", Map.of("serviceMonitor", Map.of("enabled", true))));
    HasMetadata monitor =
        objects.stream()
            .filter(o -> "ServiceMonitor".equals(o.getKind()))
            .findFirst()
            .orElseThrow();
    assertThat(monitor.getApiVersion()).isEqualTo("monitoring.coreos.com/v1");
    assertThat(PgTrickleChart.SERIALIZATION.asYaml(monitor))
        .contains("port: \"http-metrics\"")
        .contains("path: \"/metrics\"");
    assertThat(objects)
        .anyMatch(
            o -> "Service".equals(o.getKind()) && o.getMetadata().getName().endsWith("-metrics"));
  }

  /** Every value has a row in the chart's README and a comment in values.yaml, and vice versa. */
  @Test
  void everyValueIsDocumented() throws IOException {
    ValuesFile values =
        new ValuesFile(Files.readAllLines(PgTrickleChart.DIRECTORY.resolve("values.yaml")));
    List<String> readme = Files.readAllLines(PgTrickleChart.DIRECTORY.resolve("README.md"));
    int section = readme.indexOf("## Values");
    List<String> documented =
        readme.subList(section, readme.size()).stream()
            .takeWhile(l -> l.equals("## Values") || !l.startsWith("## "))
            .filter(l -> l.matches("^\\| `[A-Za-z0-9_.]+` \\|.*"))
            .map(l -> l.substring(3, l.indexOf('`', 3)))
            .toList();
    List<String> paths = values.leafPaths();

    assertThat(paths).isNotEmpty();
    for (String path : paths) {
      assertThat(documented)
          .as("README.md documents %s", path)
          .anyMatch(row -> path.equals(row) || path.startsWith(row + "."));
    }
    for (String row : documented) {
      assertThat(paths)
          .as("README.md lists %s, which values.yaml does not have", row)
          .anyMatch(path -> path.equals(row) || path.startsWith(row + "."));
      assertThat(values.hasComment(row)).as("values.yaml explains %s in a comment", row).isTrue();
    }
  }

  private static String appVersion() throws IOException {
    return Files.readAllLines(PgTrickleChart.DIRECTORY.resolve("Chart.yaml")).stream()
        .filter(l -> l.startsWith("appVersion:"))
        .map(l -> l.substring("appVersion:".length()).strip().replace("\"", ""))
        .findFirst()
        .orElseThrow();
  }

  /** Whether one of the rules grants {@code verb} on {@code resource} (no wildcards used here). */
  static boolean allows(List<PolicyRule> rules, String group, String resource, String verb) {
    return rules.stream()
        .anyMatch(
            r ->
                r.getApiGroups().contains(group)
                    && r.getResources().contains(resource)
                    && r.getVerbs().contains(verb)
                    && (r.getResourceNames() == null || r.getResourceNames().isEmpty()));
  }
}
