package io.pgtrickle.operator.packaging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.marcnuri.helm.Release;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.pgtrickle.operator.testbed.Edits;
import io.pgtrickle.testbed.TestNamespace;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code helm install} of the chart into the test bed: the real API server accepts everything it
 * renders, and the operator pods pass the {@code restricted} Pod Security Standard, enforced on the
 * namespace. (kwok plays the kubelet, so the pods become ready without running the image.)
 */
class HelmInstallIT {

  @RegisterExtension static final TestNamespace NAMESPACE = new TestNamespace();

  private static final java.util.List<String> ADAPTER_API_SERVICES =
      java.util.List.of("v1beta2.custom.metrics.k8s.io", "v1beta1.custom.metrics.k8s.io");

  private static final io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext
      API_SERVICES =
          new io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext.Builder()
              .withGroup("apiregistration.k8s.io")
              .withVersion("v1")
              .withKind("APIService")
              .withPlural("apiservices")
              .withNamespaced(false)
              .build();

  @Test
  void installsTwoRestrictedReplicasWithTheirRbacAndUninstallsCleanly() {
    KubernetesClient client = NAMESPACE.client();
    String namespace = NAMESPACE.name();
    Edits.edit(
        client.namespaces().withName(namespace),
        n -> {
          n.getMetadata().getLabels().put("pod-security.kubernetes.io/enforce", "restricted");
          return n;
        });
    // The release name makes the cluster-scoped names unique to this test run.
    String release = "pg-trickle-" + namespace.substring(namespace.lastIndexOf('-') + 1);
    String operator = release + "-operator";

    Release installed =
        PgTrickleChart.install(
            NAMESPACE.testBed().kubeconfig(), release, namespace, Map.of("replicaCount", 2));
    try {
      assertThat(installed.getStatus()).isEqualTo("deployed");

      await()
          .atMost(Duration.ofSeconds(60))
          .untilAsserted(
              () -> {
                Deployment deployment =
                    client.apps().deployments().inNamespace(namespace).withName(operator).get();
                assertThat(deployment.getStatus().getAvailableReplicas()).isEqualTo(2);
              });
      assertThat(client.serviceAccounts().inNamespace(namespace).withName(operator).get())
          .isNotNull();
      assertThat(client.rbac().clusterRoles().withName(operator).get()).isNotNull();
      assertThat(client.rbac().clusterRoleBindings().withName(operator).get()).isNotNull();
      assertThat(client.rbac().clusterRoles().withName(operator + "-cluster-reads").get())
          .isNotNull();
      assertThat(
              client
                  .rbac()
                  .roleBindings()
                  .inNamespace(namespace)
                  .withName(operator + "-leader-election")
                  .get())
          .isNotNull();
      assertThat(client.services().inNamespace(namespace).withName(operator + "-metrics").get())
          .isNotNull();
      assertThat(
              client
                  .policy()
                  .v1()
                  .podDisruptionBudget()
                  .inNamespace(namespace)
                  .withName(operator)
                  .get())
          .isNotNull();
      assertThat(
              client
                  .apiextensions()
                  .v1()
                  .customResourceDefinitions()
                  .withName("postgresclusters.postgres.example.com")
                  .get())
          .isNotNull();
      // The metrics adapter: its pod passes the restricted standard too, and its APIServices
      // name its Service (kube-proxy is missing here, so they stay unavailable; the adapter's
      // own tests route to it through an ExternalName Service).
      await()
          .atMost(Duration.ofSeconds(60))
          .untilAsserted(
              () ->
                  assertThat(
                          client
                              .apps()
                              .deployments()
                              .inNamespace(namespace)
                              .withName(release + "-metrics-adapter")
                              .get()
                              .getStatus()
                              .getAvailableReplicas())
                      .isEqualTo(1));
      for (String api : ADAPTER_API_SERVICES) {
        assertThat(client.genericKubernetesResources(API_SERVICES).withName(api).get()).isNotNull();
      }
    } finally {
      PgTrickleChart.uninstall(NAMESPACE.testBed().kubeconfig(), release, namespace);
    }

    assertThat(client.rbac().clusterRoles().withName(operator).get()).isNull();
    // Gone with the release: no namespace deletion or discovery waits on a dead API.
    for (String api : ADAPTER_API_SERVICES) {
      assertThat(client.genericKubernetesResources(API_SERVICES).withName(api).get()).isNull();
    }
    assertThat(client.rbac().clusterRoleBindings().withName(operator + "-cluster-reads").get())
        .isNull();
  }
}
