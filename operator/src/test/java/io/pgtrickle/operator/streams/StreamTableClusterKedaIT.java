package io.pgtrickle.operator.streams;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.pgtrickle.changelog.support.PostgresServer;
import io.pgtrickle.operator.ApiDiscovery;
import io.pgtrickle.operator.api.streams.StreamTableCluster;
import io.pgtrickle.operator.streams.spec.WorkerScaledObject;
import io.pgtrickle.operator.streams.status.PipelineStatusCalculator;
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
 * {@code spec.workers.autoscaler: keda} on the test bed's real API server (issue #15 §3): without
 * KEDA the status says what is missing; with KEDA's published ScaledObject CRD installed (v2.20.2,
 * test resource {@code crds/keda.sh_scaledobjects.yaml}) the operator's ScaledObject is accepted by
 * server-side apply, which refuses any field the schema does not declare, and no HPA of ours
 * exists; KEDA's Ready condition (written here as KEDA's controller would, since KEDA itself does
 * not run on the test bed) becomes AutoscalingActive; back to hpa, the ScaledObject goes.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class StreamTableClusterKedaIT {

  @RegisterExtension static final TestNamespace NAMESPACE = new TestNamespace();

  private static final Duration WAIT = Duration.ofSeconds(90);
  private static final String NAME = "scaled";
  private static final String CRD = "scaledobjects.keda.sh";
  private static final PatchContext MERGE = PatchContext.of(PatchType.JSON_MERGE);

  private static PipelineTestBed bed;
  private static PostgresServer postgres;

  @BeforeAll
  static void start() {
    removeKedaCrd();
    bed = PipelineTestBed.start(NAMESPACE);
    postgres = bed.postgres();
  }

  @AfterAll
  static void stop() {
    if (bed != null) {
      bed.close();
    }
    removeKedaCrd();
  }

  @Test
  @Order(1)
  void withoutKedaTheConditionSaysWhatIsMissing() {
    String yaml =
        "apiVersion: trickle-labs.io/v1alpha1\nkind: StreamTableCluster\nmetadata:\n  name: "
            + NAME
            + "\n  namespace: "
            + NAMESPACE.name()
            + "\nspec: {postgresql: {host: 127.0.0.1, port: "
            + postgres.port()
            + ", database: postgres, secretRef: {name: pg}}, workers: {min: 2, max: 5,"
            + " targetCdcLagMs: 300, targetCpuPercent: 60, autoscaler: keda}}\n";
    client().resource(Serialization.unmarshal(yaml, StreamTableCluster.class)).create();
    Condition active =
        await("AutoscalingActive KedaCrdMissing")
            .atMost(WAIT)
            .until(
                () -> condition(PipelineStatusCalculator.AUTOSCALING_ACTIVE),
                c -> c != null && KedaScaledObjects.CRD_MISSING.equals(c.getReason()));
    assertThat(active.getStatus()).isEqualTo("False");
    assertThat(active.getMessage()).contains("KEDA (2.19 or later)");
    assertThat(hpa()).as("no HPA of ours beside KEDA's").isNull();
  }

  @Test
  @Order(2)
  void withKedasCrdTheScaledObjectIsAcceptedAndItsReadyConditionReported() throws Exception {
    try (InputStream in = getClass().getResourceAsStream("/crds/keda.sh_scaledobjects.yaml")) {
      client()
          .resource(Serialization.unmarshal(in, CustomResourceDefinition.class))
          .forceConflicts()
          .serverSideApply();
    }
    // Discovery is cached for a minute (ApiDiscovery.TTL), then the next poll applies the object.
    GenericKubernetesResource scaled =
        await("ScaledObject applied")
            .atMost(ApiDiscovery.TTL.plus(WAIT))
            .pollInterval(Duration.ofSeconds(2))
            .ignoreExceptions()
            .until(this::scaledObject, o -> o != null);
    @SuppressWarnings("unchecked")
    Map<String, Object> spec = (Map<String, Object>) scaled.getAdditionalProperties().get("spec");
    assertThat(spec)
        .containsEntry("minReplicaCount", 2)
        .containsEntry("maxReplicaCount", 5)
        .containsEntry(
            "scaleTargetRef",
            Map.of("apiVersion", "apps/v1", "kind", "Deployment", "name", NAME + "-worker"));
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> triggers = (List<Map<String, Object>>) spec.get("triggers");
    assertThat(triggers).extracting(t -> t.get("type")).containsOnly("metrics-api");
    assertThat(triggers.get(0).get("metadata"))
        .isEqualTo(
            Map.of(
                "url",
                "http://" + NAME + "-cdc." + NAMESPACE.name() + ".svc:8080/metrics",
                "format",
                "prometheus",
                "valueLocation",
                "pg_trickle_cdc_lag_p95_ms",
                "aggregateFromKubeServiceEndpoints",
                "true",
                "aggregationType",
                "max",
                "targetValue",
                "300"));
    assertThat(scaled.getMetadata().getOwnerReferences().get(0).getKind())
        .isEqualTo("StreamTableCluster");
    await("Pending until KEDA reports")
        .atMost(WAIT)
        .until(
            () -> condition(PipelineStatusCalculator.AUTOSCALING_ACTIVE),
            c -> c != null && "Pending".equals(c.getReason()));

    // KEDA's controller part: its Ready condition on the status subresource.
    scaled.setAdditionalProperty(
        "status",
        Map.of(
            "conditions",
            List.of(
                Map.of(
                    "type",
                    "Ready",
                    "status",
                    "True",
                    "reason",
                    "ScaledObjectReady",
                    "message",
                    "ScaledObject is defined correctly and is ready for scaling"))));
    client()
        .genericKubernetesResources(WorkerScaledObject.API_VERSION, WorkerScaledObject.KIND)
        .inNamespace(NAMESPACE.name())
        .resource(scaled)
        .updateStatus();
    Condition active =
        await("AutoscalingActive from KEDA")
            .atMost(WAIT)
            .until(
                () -> condition(PipelineStatusCalculator.AUTOSCALING_ACTIVE),
                c -> c != null && "True".equals(c.getStatus()));
    assertThat(active.getReason()).isEqualTo("ScaledObjectReady");
    assertThat(active.getMessage()).startsWith("ScaledObject " + NAME + "-worker: ");
    assertThat(hpa()).isNull();
  }

  @Test
  @Order(3)
  void backToHpaTheScaledObjectGoes() {
    client()
        .resources(StreamTableCluster.class)
        .inNamespace(NAMESPACE.name())
        .withName(NAME)
        .patch(MERGE, "{\"spec\":{\"workers\":{\"autoscaler\":\"hpa\"}}}");
    await("ScaledObject removed, HPA created")
        .atMost(WAIT)
        .until(() -> scaledObject() == null && hpa() != null);
  }

  private GenericKubernetesResource scaledObject() {
    return client()
        .genericKubernetesResources(WorkerScaledObject.API_VERSION, WorkerScaledObject.KIND)
        .inNamespace(NAMESPACE.name())
        .withName(NAME + "-worker")
        .get();
  }

  private static Object hpa() {
    return client()
        .autoscaling()
        .v2()
        .horizontalPodAutoscalers()
        .inNamespace(NAMESPACE.name())
        .withName(NAME + "-worker")
        .get();
  }

  private static Condition condition(String type) {
    StreamTableCluster s =
        client()
            .resources(StreamTableCluster.class)
            .inNamespace(NAMESPACE.name())
            .withName(NAME)
            .get();
    return s == null || s.getStatus() == null
        ? null
        : s.getStatus().getConditions().stream()
            .filter(c -> type.equals(c.getType()))
            .findFirst()
            .orElse(null);
  }

  private static void removeKedaCrd() {
    var crd = client().apiextensions().v1().customResourceDefinitions().withName(CRD);
    if (crd.get() != null) {
      crd.delete();
      await("KEDA's CRD removed").atMost(WAIT).until(() -> crd.get() == null);
    }
  }

  private static KubernetesClient client() {
    return NAMESPACE.client();
  }
}
