package io.pgtrickle.adapter.it;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.pgtrickle.adapter.AdapterMain;
import io.pgtrickle.adapter.config.AdapterConfig;
import io.pgtrickle.adapter.config.ConfigParser;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;

/**
 * The metrics adapter on the test bed, wired as the reference describes for a cluster without
 * kube-proxy (../shared/reference/metrics-adapter.md §3): the adapter runs in the test JVM on
 * 127.0.0.1 and a free port; its Service is of type ExternalName with {@code externalName:
 * 127.0.0.1}, and the APIServices name that Service with the adapter's port. kube-apiserver
 * resolves it to {@code https://127.0.0.1:PORT}, verifies the serving certificate for {@code
 * SERVICE.NAMESPACE.svc} against the caBundle the adapter itself puts in, and presents its
 * front-proxy client certificate.
 */
final class AdapterFixture implements AutoCloseable {

  static final String SERVICE = "pg-trickle-metrics-adapter";
  static final List<String> API_SERVICES =
      List.of("v1beta2.custom.metrics.k8s.io", "v1beta1.custom.metrics.k8s.io");

  static final ResourceDefinitionContext API_SERVICE =
      new ResourceDefinitionContext.Builder()
          .withGroup("apiregistration.k8s.io")
          .withVersion("v1")
          .withKind("APIService")
          .withPlural("apiservices")
          .withNamespaced(false)
          .build();

  private final KubernetesClient client;
  private final KubernetesClient adapterClient;
  private final String namespace;
  private final int port;
  private AdapterMain.Running running;

  AdapterFixture(KubernetesClient client, String namespace) {
    this(client, client, namespace);
  }

  /**
   * @param client creates the Service and APIServices (an administrator)
   * @param adapterClient the adapter's own identity (e.g. {@link ShippedRbac}'s ServiceAccount)
   * @param namespace the adapter's namespace
   */
  AdapterFixture(KubernetesClient client, KubernetesClient adapterClient, String namespace) {
    this.client = client;
    this.adapterClient = adapterClient;
    this.namespace = namespace;
    this.port = io.pgtrickle.testbed.LoopbackPorts.reserve();
  }

  /** Creates the Service and APIServices (no caBundle: the adapter fills it) and starts. */
  AdapterFixture install() throws Exception {
    client
        .services()
        .inNamespace(namespace)
        .resource(
            new ServiceBuilder()
                .withNewMetadata()
                .withName(SERVICE)
                .endMetadata()
                .withNewSpec()
                .withType("ExternalName")
                .withExternalName("127.0.0.1")
                .endSpec()
                .build())
        .serverSideApply();
    for (String name : API_SERVICES) {
      String version = name.substring(0, name.indexOf('.'));
      GenericKubernetesResource api = new GenericKubernetesResource();
      api.setApiVersion("apiregistration.k8s.io/v1");
      api.setKind("APIService");
      api.setMetadata(
          new io.fabric8.kubernetes.api.model.ObjectMetaBuilder()
              .withName(name)
              // The chart's labels: the operator tells its own adapter's APIService from another's.
              .withLabels(
                  Map.of(
                      "app.kubernetes.io/component",
                      "metrics-adapter",
                      "helm.sh/chart",
                      "pg-trickle-0.1.0"))
              .build());
      api.setAdditionalProperty(
          "spec",
          Map.of(
              "group",
              "custom.metrics.k8s.io",
              "version",
              version,
              "groupPriorityMinimum",
              100,
              "versionPriority",
              version.equals("v1beta2") ? 200 : 100,
              "service",
              Map.of("namespace", namespace, "name", SERVICE, "port", port)));
      client
          .genericKubernetesResources(API_SERVICE)
          .resource(api)
          .forceConflicts()
          .serverSideApply();
    }
    start();
    return this;
  }

  void start() throws Exception {
    AdapterConfig config =
        ConfigParser.parse(
            Map.of(),
            List.of(
                "--namespace=" + namespace,
                "--service-name=" + SERVICE,
                "--bind-address=127.0.0.1",
                "--secure-port=" + port,
                "--http-port=0",
                "--cache-ms=500",
                "--scrape-timeout-ms=3000"));
    running = AdapterMain.start(config, adapterClient);
  }

  void stop() {
    if (running != null) {
      running.close();
      running = null;
    }
  }

  int port() {
    return port;
  }

  /** Waits until kube-apiserver reports both APIServices Available. */
  void awaitAvailable(Duration timeout) {
    Awaitility.await("APIServices Available")
        .atMost(timeout)
        .pollInterval(Duration.ofMillis(500))
        .until(() -> API_SERVICES.stream().allMatch(this::available));
  }

  @SuppressWarnings("unchecked")
  boolean available(String name) {
    GenericKubernetesResource api =
        client.genericKubernetesResources(API_SERVICE).withName(name).get();
    if (api == null || !(api.getAdditionalProperties().get("status") instanceof Map<?, ?> status)) {
      return false;
    }
    List<Map<String, Object>> conditions = (List<Map<String, Object>>) status.get("conditions");
    return conditions != null
        && conditions.stream()
            .anyMatch(c -> "Available".equals(c.get("type")) && "True".equals(c.get("status")));
  }

  @Override
  public void close() {
    stop();
    // A dead APIService would break discovery, and namespace deletion with it, for every later
    // test.
    for (String name : API_SERVICES) {
      client.genericKubernetesResources(API_SERVICE).withName(name).delete();
    }
  }
}
