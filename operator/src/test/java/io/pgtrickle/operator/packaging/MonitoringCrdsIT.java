package io.pgtrickle.operator.packaging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.pgtrickle.operator.api.streams.StreamTableCluster;
import io.pgtrickle.operator.testbed.HaCluster;
import io.pgtrickle.testbed.TestNamespace;
import java.io.InputStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The Prometheus Operator objects we write, checked against the Prometheus Operator's published
 * CRDs (v0.93.0, test resources {@code crds/monitoring.coreos.com_*.yaml}) on the test bed's real
 * API server (issue #17 section 3: "a PodMonitor/ServiceMonitor when their CRD exists"): the
 * operator's PodMonitor of a PostgresCluster with {@code metrics} and TLS (scraping Patroni over
 * HTTPS against {@code NAME-ca}), a StreamTableCluster's ServiceMonitors with MonitoringReady, and
 * the chart's ServiceMonitor and PrometheusRule (server-side dry run). Server-side apply and
 * creation refuse any field a schema does not declare.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MonitoringCrdsIT {

  @RegisterExtension static final TestNamespace NAMESPACE = new TestNamespace();
  private static final String NAME = "watched";
  private static final List<String> KINDS =
      List.of("podmonitors", "servicemonitors", "prometheusrules");
  private static final String API_VERSION = "monitoring.coreos.com/v1";
  private static final Duration WAIT = Duration.ofSeconds(120);

  private static HaCluster cluster;

  @BeforeAll
  static void start() throws Exception {
    for (String kind : KINDS) {
      try (InputStream in =
          MonitoringCrdsIT.class.getResourceAsStream(
              "/crds/monitoring.coreos.com_" + kind + ".yaml")) {
        client()
            .resource(Serialization.unmarshal(in, CustomResourceDefinition.class))
            .forceConflicts()
            .serverSideApply();
      }
      await(kind + " established")
          .atMost(Duration.ofSeconds(60))
          .until(() -> client().supports(API_VERSION, kindOf(kind)));
    }
    // The operator starts after the CRDs exist, so its discovery finds them at once.
    cluster =
        HaCluster.startWithSpec(
            NAMESPACE.testBed(),
            NAMESPACE.name(),
            NAME,
            "  version: "
                + HaCluster.testedMajor()
                + "\n  replicas: 1\n  storage:\n    size: 1Gi\n  tls:\n    enabled: true\n"
                + "  metrics:\n    enabled: true\n",
            Duration.ofSeconds(240));
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.close();
    }
    for (String kind : KINDS) {
      client()
          .apiextensions()
          .v1()
          .customResourceDefinitions()
          .withName(kind + ".monitoring.coreos.com")
          .delete();
    }
    // Other tests expect no Prometheus Operator CRDs (MonitoringReady says they are missing).
    await("CRDs removed")
        .atMost(WAIT)
        .until(
            () ->
                KINDS.stream()
                    .allMatch(
                        k ->
                            client()
                                    .apiextensions()
                                    .v1()
                                    .customResourceDefinitions()
                                    .withName(k + ".monitoring.coreos.com")
                                    .get()
                                == null));
  }

  @Test
  void thePodMonitorOfAClusterWithMetricsIsAccepted() {
    GenericKubernetesResource podMonitor =
        await("PodMonitor " + NAME)
            .atMost(WAIT)
            .until(() -> monitoring("PodMonitor").withName(NAME).get(), m -> m != null);
    @SuppressWarnings("unchecked")
    Map<String, Object> spec =
        (Map<String, Object>) podMonitor.getAdditionalProperties().get("spec");
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> endpoints =
        (List<Map<String, Object>>) spec.get("podMetricsEndpoints");
    assertThat(endpoints).extracting(e -> e.get("port")).containsExactly("metrics", "patroni");
    assertThat(endpoints.get(1)).containsEntry("scheme", "https").containsKey("tlsConfig");
  }

  /** Last: turning metrics off removes the PodMonitor (it stayed behind, scraping nothing). */
  @Test
  @Order(Integer.MAX_VALUE)
  void turningMetricsOffRemovesThePodMonitor() {
    await("PodMonitor " + NAME)
        .atMost(WAIT)
        .until(() -> monitoring("PodMonitor").withName(NAME).get(), m -> m != null);
    client()
        .genericKubernetesResources("postgres.example.com/v1", "PostgresCluster")
        .inNamespace(NAMESPACE.name())
        .withName(NAME)
        .patch(
            io.fabric8.kubernetes.client.dsl.base.PatchContext.of(
                io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE),
            "{\"spec\":{\"metrics\":{\"enabled\":false}}}");
    await("PodMonitor " + NAME + " removed")
        .atMost(WAIT)
        .until(() -> monitoring("PodMonitor").withName(NAME).get() == null);
  }

  @Test
  void aStreamTableClustersServiceMonitorsAreAccepted() {
    String yaml =
        "apiVersion: trickle-labs.io/v1alpha1\nkind: StreamTableCluster\nmetadata:\n  name: pipe\n"
            + "  namespace: "
            + NAMESPACE.name()
            + "\nspec: {postgresql: {clusterRef: {name: "
            + NAME
            + "}, database: postgres}, workers: {min: 1, max: 2, autoscaler: none},"
            + " monitoring: {prometheus: true, serviceMonitor: true}}\n";
    client().resource(Serialization.unmarshal(yaml, StreamTableCluster.class)).create();
    Condition ready =
        await("MonitoringReady")
            .atMost(WAIT)
            .until(
                () -> {
                  StreamTableCluster s =
                      client()
                          .resources(StreamTableCluster.class)
                          .inNamespace(NAMESPACE.name())
                          .withName("pipe")
                          .get();
                  return s.getStatus() == null
                      ? null
                      : s.getStatus().getConditions().stream()
                          .filter(c -> "MonitoringReady".equals(c.getType()))
                          .findFirst()
                          .orElse(null);
                },
                c -> c != null && "True".equals(c.getStatus()));
    assertThat(ready.getReason()).isEqualTo("Created");
    assertThat(monitoring("ServiceMonitor").withName("pipe-cdc").get()).isNotNull();
    assertThat(monitoring("ServiceMonitor").withName("pipe-worker").get()).isNotNull();
  }

  @Test
  void theChartsServiceMonitorAndPrometheusRuleAreAccepted() {
    List<HasMetadata> rendered =
        PgTrickleChart.render(
            "pg-trickle",
            NAMESPACE.name(),
            Map.of(
                "metrics",
                Map.of(
                    "service", Map.of("enabled", true), "serviceMonitor", Map.of("enabled", true)),
                "prometheusRule",
                Map.of("enabled", true)));
    List<HasMetadata> monitoring =
        rendered.stream().filter(o -> API_VERSION.equals(o.getApiVersion())).toList();
    assertThat(monitoring)
        .extracting(HasMetadata::getKind)
        .containsExactlyInAnyOrder("ServiceMonitor", "PrometheusRule");
    for (HasMetadata object : monitoring) {
      object.getMetadata().setNamespace(NAMESPACE.name());
      HasMetadata accepted = client().resource(object).dryRun().create();
      assertThat(accepted.getMetadata().getName()).isEqualTo(object.getMetadata().getName());
    }
  }

  private static io.fabric8.kubernetes.client.dsl.NonNamespaceOperation<
          GenericKubernetesResource,
          io.fabric8.kubernetes.api.model.GenericKubernetesResourceList,
          io.fabric8.kubernetes.client.dsl.Resource<GenericKubernetesResource>>
      monitoring(String kind) {
    return client().genericKubernetesResources(API_VERSION, kind).inNamespace(NAMESPACE.name());
  }

  private static String kindOf(String plural) {
    return switch (plural) {
      case "podmonitors" -> "PodMonitor";
      case "servicemonitors" -> "ServiceMonitor";
      default -> "PrometheusRule";
    };
  }

  private static KubernetesClient client() {
    return NAMESPACE.client();
  }
}
