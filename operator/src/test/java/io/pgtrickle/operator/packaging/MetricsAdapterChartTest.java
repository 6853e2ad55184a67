package io.pgtrickle.operator.packaging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * What the chart renders for the metrics adapter (issue #15): its Deployment, Service and
 * ServiceAccount, the APIServices of custom.metrics.k8s.io, and least-privilege RBAC (delegated
 * authentication and authorization, the front-proxy ConfigMap, read access to what metrics come
 * from, the caBundle of its own APIServices only).
 */
class MetricsAdapterChartTest {

  private static final String RELEASE = "pg-trickle";
  private static final String NAMESPACE = "pg-trickle-system";
  private static final String ADAPTER = "pg-trickle-metrics-adapter";

  private static List<HasMetadata> render(Map<String, Object> values) {
    return PgTrickleChart.render(RELEASE, NAMESPACE, values);
  }

  private static Map<String, Object> adapter(Map<String, Object> values) {
    return Map.of("metricsAdapter", values);
  }

  private static <T extends HasMetadata> List<T> all(List<HasMetadata> objects, Class<T> type) {
    return objects.stream().filter(type::isInstance).map(type::cast).toList();
  }

  private static <T extends HasMetadata> T one(
      List<HasMetadata> objects, Class<T> type, String name) {
    List<T> named =
        all(objects, type).stream().filter(o -> o.getMetadata().getName().equals(name)).toList();
    assertThat(named).as("%s %s", type.getSimpleName(), name).hasSize(1);
    return named.get(0);
  }

  private static List<GenericKubernetesResource> apiServices(List<HasMetadata> objects) {
    return objects.stream()
        .filter(o -> "APIService".equals(o.getKind()))
        .map(
            o ->
                PgTrickleChart.SERIALIZATION.unmarshal(
                    PgTrickleChart.SERIALIZATION.asYaml(o), GenericKubernetesResource.class))
        .toList();
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> spec(GenericKubernetesResource r) {
    return (Map<String, Object>) r.getAdditionalProperties().get("spec");
  }

  @Test
  void theApiServicesRouteCustomMetricsToTheAdaptersService() {
    List<GenericKubernetesResource> apis = apiServices(render(Map.of()));
    assertThat(apis)
        .extracting(a -> a.getMetadata().getName())
        .containsExactly("v1beta2.custom.metrics.k8s.io", "v1beta1.custom.metrics.k8s.io");
    Map<String, Object> v2 = spec(apis.get(0));
    assertThat(v2)
        .containsEntry("group", "custom.metrics.k8s.io")
        .containsEntry("version", "v1beta2")
        .containsEntry("groupPriorityMinimum", 100)
        .containsEntry("versionPriority", 200)
        .containsEntry("service", Map.of("namespace", NAMESPACE, "name", ADAPTER, "port", 443))
        .doesNotContainKey("caBundle")
        .doesNotContainKey("insecureSkipTLSVerify");
    assertThat(spec(apis.get(1))).containsEntry("versionPriority", 100);
    assertThat(apiServices(render(adapter(Map.of("apiVersions", List.of("v1beta2")))))).hasSize(1);
    assertThatThrownBy(() -> render(adapter(Map.of("apiVersions", List.of("v2")))))
        .hasMessageContaining("metricsAdapter.apiVersions: v2 is not");
  }

  @Test
  void theAdapterRunsRestrictedWithItsSettings() {
    List<HasMetadata> objects = render(Map.of());
    Deployment d = one(objects, Deployment.class, ADAPTER);
    var pod = d.getSpec().getTemplate().getSpec();
    assertThat(pod.getServiceAccountName()).isEqualTo(ADAPTER);
    assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
    Container c = pod.getContainers().get(0);
    assertThat(c.getImage()).startsWith("ghcr.io/pg-trickle/metrics-adapter:");
    assertThat(c.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
    assertThat(c.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
    assertThat(c.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/readyz");
    Map<String, EnvVar> env =
        c.getEnv().stream().collect(Collectors.toMap(EnvVar::getName, e -> e));
    assertThat(env.get("POD_NAMESPACE").getValueFrom().getFieldRef().getFieldPath())
        .isEqualTo("metadata.namespace");
    assertThat(env.get("PGTRICKLE_SERVICE_NAME").getValue()).isEqualTo(ADAPTER);
    assertThat(env.get("PGTRICKLE_TLS_SECRET").getValue()).isEqualTo(ADAPTER + "-tls");
    assertThat(env.get("PGTRICKLE_APISERVICES").getValue())
        .isEqualTo("v1beta2.custom.metrics.k8s.io,v1beta1.custom.metrics.k8s.io");
    Service svc = one(objects, Service.class, ADAPTER);
    assertThat(svc.getSpec().getPorts())
        .anyMatch(p -> p.getPort() == 443 && p.getTargetPort().getStrVal().equals("https"));
    assertThat(svc.getSpec().getSelector()).isEqualTo(d.getSpec().getSelector().getMatchLabels());
    assertThat(one(objects, ServiceAccount.class, ADAPTER)).isNotNull();
  }

  @Test
  void delegatedAuthAndLeastPrivilege() {
    List<HasMetadata> objects = render(Map.of());
    ClusterRoleBinding delegator =
        one(objects, ClusterRoleBinding.class, ADAPTER + ":system:auth-delegator");
    assertThat(delegator.getRoleRef().getName()).isEqualTo("system:auth-delegator");
    assertThat(delegator.getSubjects().get(0).getName()).isEqualTo(ADAPTER);
    RoleBinding reader = one(objects, RoleBinding.class, ADAPTER + "-auth-reader");
    assertThat(reader.getMetadata().getNamespace()).isEqualTo("kube-system");
    assertThat(reader.getRoleRef().getName())
        .isEqualTo("extension-apiserver-authentication-reader");

    List<PolicyRule> rules = one(objects, ClusterRole.class, ADAPTER).getRules();
    assertThat(rules)
        .allSatisfy(
            r -> {
              assertThat(r.getVerbs()).doesNotContain("*", "create", "delete", "update", "watch");
              assertThat(r.getResources()).doesNotContain("*");
            });
    assertThat(rules)
        .anySatisfy(
            r -> {
              assertThat(r.getResources()).containsExactly("apiservices");
              assertThat(r.getResourceNames())
                  .containsExactly(
                      "v1beta2.custom.metrics.k8s.io", "v1beta1.custom.metrics.k8s.io");
              assertThat(r.getVerbs()).containsExactly("get", "patch");
            });
    Role tls = one(objects, Role.class, ADAPTER + "-tls");
    assertThat(tls.getMetadata().getNamespace()).isEqualTo(NAMESPACE);
    assertThat(tls.getRules())
        .anySatisfy(r -> assertThat(r.getResourceNames()).containsExactly(ADAPTER + "-tls"));

    assertThat(secretRules(objects))
        .as("the adapter's only Secret access: its TLS Secret in the release namespace")
        .containsExactlyInAnyOrder(
            "Role " + NAMESPACE + "/" + ADAPTER + "-tls: [create] on []",
            "Role " + NAMESPACE + "/" + ADAPTER + "-tls: [get, update] on [" + ADAPTER + "-tls]");
    assertThat(
            secretRules(
                render(
                    adapter(Map.of("tls", Map.of("existingSecret", "mine", "caBundle", "Q0E="))))))
        .as("with a certificate of its own (mounted by the kubelet) no Secret access at all")
        .isEmpty();
    assertThatThrownBy(() -> render(adapter(Map.of("catalogMetrics", true))))
        .hasMessageContaining("metricsAdapter.catalogMetrics was removed");
  }

  /**
   * Every rule on Secrets in a ClusterRole or Role the chart binds to the adapter's ServiceAccount,
   * as {@code "Kind ns/name: [verbs] on [resourceNames]"}. The roles it binds that the chart does
   * not render are Kubernetes' own: system:auth-delegator (TokenReviews, SubjectAccessReviews) and
   * extension-apiserver-authentication-reader (one ConfigMap), neither of which grants Secrets.
   */
  private static List<String> secretRules(List<HasMetadata> objects) {
    List<String> out = new java.util.ArrayList<>();
    List<String> boundClusterRoles =
        all(objects, ClusterRoleBinding.class).stream()
            .filter(b -> b.getSubjects().stream().anyMatch(s -> s.getName().equals(ADAPTER)))
            .map(b -> b.getRoleRef().getName())
            .toList();
    assertThat(boundClusterRoles)
        .allMatch(n -> n.equals(ADAPTER) || n.equals("system:auth-delegator"));
    for (ClusterRole r : all(objects, ClusterRole.class)) {
      if (boundClusterRoles.contains(r.getMetadata().getName())) {
        r.getRules().stream()
            .filter(p -> p.getResources().contains("secrets") || p.getResources().contains("*"))
            .forEach(p -> out.add("ClusterRole " + r.getMetadata().getName() + ": " + p));
      }
    }
    for (RoleBinding b : all(objects, RoleBinding.class)) {
      if (b.getSubjects().stream().noneMatch(s -> s.getName().equals(ADAPTER))) {
        continue;
      }
      if (b.getRoleRef().getKind().equals("ClusterRole")) {
        out.add("RoleBinding to ClusterRole " + b.getRoleRef().getName());
        continue;
      }
      Role role =
          all(objects, Role.class).stream()
              .filter(
                  r ->
                      r.getMetadata().getName().equals(b.getRoleRef().getName())
                          && r.getMetadata().getNamespace().equals(b.getMetadata().getNamespace()))
              .findFirst()
              .orElse(null);
      if (role == null) {
        assertThat(b.getRoleRef().getName()).isEqualTo("extension-apiserver-authentication-reader");
        continue;
      }
      role.getRules().stream()
          .filter(p -> p.getResources().contains("secrets") || p.getResources().contains("*"))
          .forEach(
              p ->
                  out.add(
                      "Role "
                          + role.getMetadata().getNamespace()
                          + "/"
                          + role.getMetadata().getName()
                          + ": "
                          + p.getVerbs()
                          + " on "
                          + (p.getResourceNames() == null ? List.of() : p.getResourceNames())));
    }
    return out;
  }

  @Test
  void aCertificateOfYourOwnNeedsItsCaAndLeavesTheApiServicesAlone() {
    assertThatThrownBy(() -> render(adapter(Map.of("tls", Map.of("existingSecret", "mine")))))
        .hasMessageContaining(
            "metricsAdapter.tls.existingSecret needs metricsAdapter.tls.caBundle");
    // Without a Secret of your own the adapter writes its own CA into caBundle: a given one would
    // be replaced silently, so the chart refuses it (and cert-manager's injection) there.
    assertThatThrownBy(() -> render(adapter(Map.of("tls", Map.of("caBundle", "Q0E=")))))
        .hasMessageContaining("metricsAdapter.tls.caBundle and the cert-manager.io/inject-ca-from")
        .hasMessageContaining("need metricsAdapter.tls.existingSecret");
    assertThatThrownBy(
            () ->
                render(
                    adapter(
                        Map.of(
                            "apiServiceAnnotations",
                            Map.of("cert-manager.io/inject-ca-from", "ns/cert")))))
        .hasMessageContaining("need metricsAdapter.tls.existingSecret");
    List<HasMetadata> objects =
        render(adapter(Map.of("tls", Map.of("existingSecret", "mine", "caBundle", "Q0E="))));
    assertThat(apiServices(objects))
        .allSatisfy(a -> assertThat(spec(a)).containsEntry("caBundle", "Q0E="));
    assertThat(all(objects, Role.class))
        .noneMatch(r -> r.getMetadata().getName().equals(ADAPTER + "-tls"));
    assertThat(one(objects, ClusterRole.class, ADAPTER).getRules())
        .noneMatch(r -> r.getResources().contains("apiservices"));
    Deployment d = one(objects, Deployment.class, ADAPTER);
    assertThat(d.getSpec().getTemplate().getSpec().getVolumes())
        .anyMatch(v -> v.getSecret() != null && v.getSecret().getSecretName().equals("mine"));
    List<HasMetadata> injected =
        render(
            adapter(
                Map.of(
                    "tls", Map.of("existingSecret", "mine"),
                    "apiServiceAnnotations", Map.of("cert-manager.io/inject-ca-from", "ns/cert"))));
    assertThat(apiServices(injected))
        .allSatisfy(
            a ->
                assertThat(a.getMetadata().getAnnotations())
                    .containsKey("cert-manager.io/inject-ca-from"));
  }

  @Test
  void turnedOffThereIsNoAdapterAndNoApiService() {
    List<HasMetadata> objects = render(adapter(Map.of("enabled", false)));
    assertThat(apiServices(objects)).isEmpty();
    assertThat(objects).noneMatch(o -> o.getMetadata().getName().startsWith(ADAPTER));
  }
}
