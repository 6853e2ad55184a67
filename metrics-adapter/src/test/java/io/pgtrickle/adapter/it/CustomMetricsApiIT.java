package io.pgtrickle.adapter.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.pgtrickle.adapter.pipeline.PipelineNames;
import io.pgtrickle.testbed.TestBed;
import io.pgtrickle.testbed.TestNamespace;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The custom metrics API through the test bed's real kube-apiserver and its aggregator, the adapter
 * acting as a ServiceAccount with only the RBAC deploy/operator.yaml ships ({@link ShippedRbac}):
 * the APIServices (ExternalName Service to the adapter on 127.0.0.1) become Available with the
 * caBundle the adapter generated and put in; {@code kubectl get --raw} returns a
 * StreamTableCluster's CDC lag (v1beta2 and v1beta1), a worker Deployment's and the worker pods'
 * values, the stream tables' lag from the workers' series (per stream table the freshest worker,
 * then the worst stream table; a pipeline without a running worker is a 503, never 0); unknown
 * metrics and objects are 404 Status; a user without RBAC gets 403 (from kube-apiserver, and from
 * the adapter's own SubjectAccessReview when asked directly through the front proxy's certificate);
 * headers from a client that is not the front proxy are ignored; a pod that stops answering is a
 * 503 naming it.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CustomMetricsApiIT {

  @RegisterExtension static final TestNamespace NS = new TestNamespace();

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String STC = "orders";
  private static final String LAG = "pg_trickle_stream_table_lag_ms";

  /** A StreamTableCluster with no worker pod: nobody measures its lag. */
  private static final String IDLE = "idle";

  private static AdapterFixture adapter;
  private static ShippedRbac rbac;
  private static final List<PodMetricsEndpoint> endpoints = new ArrayList<>();
  private static PodMetricsEndpoint cdcEndpoint;

  private static KubernetesClient client() {
    return NS.client();
  }

  private static String base() {
    return "/apis/custom.metrics.k8s.io/v1beta2/namespaces/" + NS.name();
  }

  @BeforeAll
  static void pipelineAndAdapter() throws Exception {
    streamTableCluster(STC);
    streamTableCluster(IDLE);
    Pod cdc =
        client()
            .pods()
            .inNamespace(NS.name())
            .resource(pod(STC + "-cdc-0", PipelineNames.CDC_COMPONENT))
            .create();
    client()
        .apps()
        .deployments()
        .inNamespace(NS.name())
        .resource(
            new DeploymentBuilder()
                .withNewMetadata()
                .withName(STC + "-worker")
                .addToLabels(PipelineNames.CLUSTER_LABEL, STC)
                .endMetadata()
                .withNewSpec()
                .withReplicas(2)
                .withNewSelector()
                .withMatchLabels(PipelineNames.podSelector(STC, PipelineNames.WORKER_COMPONENT))
                .endSelector()
                .withNewTemplate()
                .withMetadata(pod("x", PipelineNames.WORKER_COMPONENT).getMetadata())
                .withSpec(pod("x", PipelineNames.WORKER_COMPONENT).getSpec())
                .endTemplate()
                .endSpec()
                .build())
        .create();
    cdcEndpoint =
        new PodMetricsEndpoint(ip(cdc.getMetadata().getName()), "pg_trickle_cdc_lag_p95_ms", 123.5);
    endpoints.add(cdcEndpoint);
    Awaitility.await("2 worker pods with IPs")
        .atMost(Duration.ofSeconds(60))
        .until(
            () -> workerPods().stream().filter(p -> p.getStatus().getPodIP() != null).count() == 2);
    double cpu = 30;
    // Each worker's read of the catalog: the first read before public.b's last refresh, the second
    // after it (a stale read errs high); public.c only the second has seen yet.
    double[][] lags = {{500, 2000, Double.NaN}, {700, 40, 250}};
    int i = 0;
    for (Pod p : workerPods()) {
      PodMetricsEndpoint e =
          new PodMetricsEndpoint(p.getStatus().getPodIP(), "pg_trickle_worker_cpu_percent", cpu);
      e.streamTableGauge(LAG, "public.a", lags[i][0]);
      e.streamTableGauge(LAG, "public.b", lags[i][1]);
      if (!Double.isNaN(lags[i][2])) {
        e.streamTableGauge(LAG, "public.c", lags[i][2]);
      }
      // A series no worker can give a figure for now (as after stuck-after-ms without a read).
      e.streamTableGauge(LAG, "public.stale", Double.NaN);
      endpoints.add(e);
      cpu += 20;
      i++;
    }
    // The adapter runs as a ServiceAccount with exactly the RBAC deploy/operator.yaml ships (no
    // Secrets but its TLS Secret): every metric below is served with nothing more.
    rbac = new ShippedRbac(client(), NS.name());
    KubernetesClient asAdapter =
        rbac.install(NS.testBed().repositoryRootPath().resolve("deploy/operator.yaml"));
    adapter = new AdapterFixture(client(), asAdapter, NS.name()).install();
    adapter.awaitAvailable(Duration.ofSeconds(90));
  }

  @AfterAll
  static void stop() {
    if (adapter != null) {
      adapter.close();
    }
    if (rbac != null) {
      rbac.close();
    }
    endpoints.forEach(PodMetricsEndpoint::close);
  }

  private static void streamTableCluster(String name) {
    client()
        .resource(
            client()
                .getKubernetesSerialization()
                .unmarshal(
                    "apiVersion: trickle-labs.io/v1alpha1\n"
                        + "kind: StreamTableCluster\n"
                        + "metadata: {name: "
                        + name
                        + ", namespace: "
                        + NS.name()
                        + "}\n"
                        + "spec:\n"
                        + "  postgresql: {host: 127.0.0.1, database: app, secretRef: {name: app-db}}\n"
                        + "  workers: {min: 1, max: 4, targetCdcLagMs: 100}\n",
                    io.fabric8.kubernetes.api.model.GenericKubernetesResource.class))
        .create();
  }

  private static Pod pod(String name, String component) {
    return new PodBuilder()
        .withNewMetadata()
        .withName(name)
        .withLabels(
            Map.of(PipelineNames.CLUSTER_LABEL, STC, PipelineNames.COMPONENT_LABEL, component))
        .endMetadata()
        .withNewSpec()
        .addNewContainer()
        .withName(component)
        .withImage("ghcr.io/pg-trickle/" + component + ":0.1.0")
        .addNewPort()
        .withName("metrics")
        .withContainerPort(8080)
        .endPort()
        .endContainer()
        .endSpec()
        .build();
  }

  private static List<Pod> workerPods() {
    return client()
        .pods()
        .inNamespace(NS.name())
        .withLabels(PipelineNames.podSelector(STC, PipelineNames.WORKER_COMPONENT))
        .list()
        .getItems();
  }

  private static String ip(String pod) {
    Awaitility.await(pod + " has an IP")
        .atMost(Duration.ofSeconds(60))
        .until(
            () -> {
              Pod p = client().pods().inNamespace(NS.name()).withName(pod).get();
              return p.getStatus() != null
                  && p.getStatus().getPodIP() != null
                  && "Running".equals(p.getStatus().getPhase());
            });
    return client().pods().inNamespace(NS.name()).withName(pod).get().getStatus().getPodIP();
  }

  private static TestBed.Result kubectl(String... args) {
    return NS.testBed().kubectl(args);
  }

  private static JsonNode raw(String path) throws Exception {
    TestBed.Result r = kubectl("get", "--raw", path);
    assertThat(r.ok()).as(r.output()).isTrue();
    return JSON.readTree(r.output());
  }

  @Test
  @Order(1)
  void discoveryThroughTheAggregator() throws Exception {
    JsonNode list = raw("/apis/custom.metrics.k8s.io/v1beta2");
    assertThat(list.get("kind").asText()).isEqualTo("APIResourceList");
    List<String> names = new ArrayList<>();
    list.get("resources").forEach(r -> names.add(r.get("name").asText()));
    assertThat(names)
        .contains(
            "streamtableclusters.trickle-labs.io/pg_trickle_cdc_lag_p95_ms",
            "pods/pg_trickle_worker_cpu_percent");
    TestBed.Result resources = kubectl("api-resources", "--api-group=custom.metrics.k8s.io");
    assertThat(resources.ok()).as(resources.output()).isTrue();
  }

  @Test
  @Order(2)
  void theCdcLagOfAStreamTableCluster() throws Exception {
    JsonNode list =
        raw(base() + "/streamtableclusters.trickle-labs.io/" + STC + "/pg_trickle_cdc_lag_p95_ms");
    assertThat(list.get("kind").asText()).isEqualTo("MetricValueList");
    assertThat(list.get("apiVersion").asText()).isEqualTo("custom.metrics.k8s.io/v1beta2");
    JsonNode item = list.get("items").get(0);
    assertThat(item.at("/describedObject/kind").asText()).isEqualTo("StreamTableCluster");
    assertThat(item.at("/describedObject/name").asText()).isEqualTo(STC);
    assertThat(item.at("/describedObject/apiVersion").asText())
        .isEqualTo("trickle-labs.io/v1alpha1");
    assertThat(item.at("/metric/name").asText()).isEqualTo("pg_trickle_cdc_lag_p95_ms");
    assertThat(item.get("value").asText()).isEqualTo("123500m");
    assertThat(item.get("windowSeconds").asLong()).isEqualTo(60);

    JsonNode v1 =
        raw(
            base().replace("v1beta2", "v1beta1")
                + "/streamtableclusters.trickle-labs.io/"
                + STC
                + "/pg_trickle_cdc_lag_p95_ms");
    assertThat(v1.at("/items/0/metricName").asText()).isEqualTo("pg_trickle_cdc_lag_p95_ms");
    assertThat(v1.at("/items/0/value").asText()).isEqualTo("123500m");

    // Fresh within the cache's 500 ms: a new value shows at once.
    cdcEndpoint.value.set(250.0);
    Awaitility.await()
        .atMost(Duration.ofSeconds(5))
        .until(
            () ->
                raw(base()
                        + "/streamtableclusters.trickle-labs.io/"
                        + STC
                        + "/pg_trickle_cdc_lag_p95_ms")
                    .at("/items/0/value")
                    .asText()
                    .equals("250"));
  }

  @Test
  @Order(3)
  void theWorkerDeploymentAndItsPods() throws Exception {
    JsonNode d = raw(base() + "/deployments.apps/" + STC + "-worker/pg_trickle_worker_cpu_percent");
    assertThat(d.at("/items/0/describedObject/kind").asText()).isEqualTo("Deployment");
    assertThat(d.at("/items/0/value").asText()).isEqualTo("40"); // average of 30 and 50
    String selector =
        java.net.URLEncoder.encode(
            PipelineNames.CLUSTER_LABEL
                + "="
                + STC
                + ","
                + PipelineNames.COMPONENT_LABEL
                + "=worker",
            StandardCharsets.UTF_8);
    JsonNode pods = raw(base() + "/pods/*/pg_trickle_worker_cpu_percent?labelSelector=" + selector);
    assertThat(pods.get("items")).hasSize(2);
    List<String> values = new ArrayList<>();
    pods.get("items")
        .forEach(
            i -> {
              assertThat(i.at("/describedObject/kind").asText()).isEqualTo("Pod");
              values.add(i.get("value").asText());
            });
    assertThat(values).containsExactlyInAnyOrder("30", "50");
  }

  @Test
  @Order(4)
  void theStreamTablesLagFromTheWorkers() throws Exception {
    // a: min(500, 700) = 500, b: min(2000, 40) = 40, c: 250 -> the worst, 500.
    JsonNode stc = raw(base() + "/streamtableclusters.trickle-labs.io/" + STC + "/" + LAG);
    assertThat(stc.at("/items/0/describedObject/kind").asText()).isEqualTo("StreamTableCluster");
    assertThat(stc.at("/items/0/value").asText()).isEqualTo("500");
    assertThat(stc.at("/items/0/windowSeconds").isNull()).isTrue();
    String one = java.net.URLEncoder.encode("stream_table=public.b", StandardCharsets.UTF_8);
    assertThat(
            raw(base()
                    + "/streamtableclusters.trickle-labs.io/"
                    + STC
                    + "/"
                    + LAG
                    + "?metricLabelSelector="
                    + one)
                .at("/items/0/value")
                .asText())
        .isEqualTo("40");
    assertThat(
            raw(base() + "/deployments.apps/" + STC + "-worker/" + LAG)
                .at("/items/0/value")
                .asText())
        .isEqualTo("500");
    // Each worker's own figure: its worst stream table.
    String selector =
        java.net.URLEncoder.encode(
            PipelineNames.CLUSTER_LABEL
                + "="
                + STC
                + ","
                + PipelineNames.COMPONENT_LABEL
                + "=worker",
            StandardCharsets.UTF_8);
    List<String> values = new ArrayList<>();
    raw(base() + "/pods/*/" + LAG + "?labelSelector=" + selector)
        .get("items")
        .forEach(item -> values.add(item.get("value").asText()));
    assertThat(values).containsExactlyInAnyOrder("2000", "700");
    // Only NaN for the selected stream table: nobody measures it now, a 503 naming the pods.
    TestBed.Result stale =
        kubectl(
            "get",
            "--raw",
            base()
                + "/streamtableclusters.trickle-labs.io/"
                + STC
                + "/"
                + LAG
                + "?metricLabelSelector="
                + java.net.URLEncoder.encode("stream_table=public.stale", StandardCharsets.UTF_8));
    assertThat(stale.ok()).isFalse();
    assertThat(stale.output())
        .contains("ServiceUnavailable")
        .contains("NaN")
        .contains(STC + "-worker");
    // No worker: nobody measures, an error and not 0.
    TestBed.Result idle =
        kubectl(
            "get", "--raw", base() + "/streamtableclusters.trickle-labs.io/" + IDLE + "/" + LAG);
    assertThat(idle.ok()).isFalse();
    assertThat(idle.output()).contains("ServiceUnavailable").contains("no running worker pod");
  }

  @Test
  @Order(5)
  void unknownMetricsAndObjectsAre404() {
    TestBed.Result metric =
        kubectl("get", "--raw", base() + "/streamtableclusters.trickle-labs.io/" + STC + "/nope");
    assertThat(metric.ok()).isFalse();
    assertThat(metric.output()).contains("the server could not find the metric nope");
    TestBed.Result object =
        kubectl(
            "get",
            "--raw",
            base() + "/streamtableclusters.trickle-labs.io/missing/pg_trickle_cdc_lag_p95_ms");
    assertThat(object.ok()).isFalse();
    assertThat(object.output()).contains("NotFound").contains("\"missing\" not found");
  }

  @Test
  @Order(6)
  void aUserWithoutRbacIsForbiddenAtBothLayers() throws Exception {
    String path =
        base() + "/streamtableclusters.trickle-labs.io/" + STC + "/pg_trickle_cdc_lag_p95_ms";
    TestBed.Result alice = kubectl("--as=alice", "get", "--raw", path);
    assertThat(alice.ok()).isFalse();
    assertThat(alice.output()).contains("Forbidden");

    // Past kube-apiserver, with its front-proxy certificate: the adapter's own SubjectAccessReview.
    DirectClient frontProxy =
        new DirectClient(
            TestBedPki.adapterCaPem(NS), TestBedPki.frontProxyClient(NS), adapter.port());
    DirectClient.Response denied = frontProxy.get(path, Map.of("X-Remote-User", "alice"));
    assertThat(denied.code()).as(denied.body()).isEqualTo(403);
    assertThat(JSON.readTree(denied.body()).get("reason").asText()).isEqualTo("Forbidden");
    DirectClient.Response allowed =
        frontProxy.get(
            path, Map.of("X-Remote-User", "kwok-admin", "X-Remote-Group", "system:masters"));
    assertThat(allowed.code()).as(allowed.body()).isEqualTo(200);

    // RBAC that allows alice exactly this: then both layers let her through.
    client()
        .rbac()
        .roles()
        .inNamespace(NS.name())
        .resource(
            new RoleBuilder()
                .withNewMetadata()
                .withName("metrics-reader")
                .endMetadata()
                .addNewRule()
                .withApiGroups("custom.metrics.k8s.io")
                .withResources("streamtableclusters.trickle-labs.io/pg_trickle_cdc_lag_p95_ms")
                .withVerbs("get")
                .endRule()
                .build())
        .create();
    client()
        .rbac()
        .roleBindings()
        .inNamespace(NS.name())
        .resource(
            new RoleBindingBuilder()
                .withNewMetadata()
                .withName("alice-metrics")
                .endMetadata()
                .withNewRoleRef("rbac.authorization.k8s.io", "Role", "metrics-reader")
                .addNewSubject()
                .withApiGroup("rbac.authorization.k8s.io")
                .withKind("User")
                .withName("alice")
                .endSubject()
                .build())
        .create();
    Awaitility.await("alice allowed")
        .atMost(Duration.ofSeconds(30))
        .until(() -> kubectl("--as=alice", "get", "--raw", path).ok());
  }

  @Test
  @Order(7)
  void headersOfAClientThatIsNotTheFrontProxyAreIgnored() throws Exception {
    String path =
        base() + "/streamtableclusters.trickle-labs.io/" + STC + "/pg_trickle_cdc_lag_p95_ms";
    Map<String, String> impersonate =
        Map.of("X-Remote-User", "kwok-admin", "X-Remote-Group", "system:masters");
    // A certificate of the cluster's client CA: it is bob, whatever the headers say.
    DirectClient bob =
        new DirectClient(
            TestBedPki.adapterCaPem(NS),
            TestBedPki.clusterCa(NS).issueClient("CN=bob", Duration.ofHours(1)),
            adapter.port());
    DirectClient.Response r = bob.get(path, impersonate);
    assertThat(r.code()).as(r.body()).isEqualTo(403);
    assertThat(r.body()).contains("user \\\"bob\\\"");
    // No certificate: 401.
    DirectClient anonymous = new DirectClient(TestBedPki.adapterCaPem(NS), null, adapter.port());
    assertThat(anonymous.get(path, impersonate).code()).isEqualTo(401);
    // Probes are open.
    assertThat(anonymous.get("/readyz", Map.of()).code()).isEqualTo(200);
  }

  @Test
  @Order(8)
  void anUnreachablePodIsAClearErrorNotAnOldValue() throws Exception {
    cdcEndpoint.close();
    String path =
        base() + "/streamtableclusters.trickle-labs.io/" + STC + "/pg_trickle_cdc_lag_p95_ms";
    Awaitility.await("503 naming the pod")
        .atMost(Duration.ofSeconds(10))
        .until(
            () -> {
              TestBed.Result r = kubectl("get", "--raw", path);
              return !r.ok()
                  && r.output().contains(STC + "-cdc-0")
                  && r.output().contains("ServiceUnavailable");
            });
  }
}
