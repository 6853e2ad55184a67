package io.pgtrickle.operator.streams.spec;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.Map;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class ReplicasHandoverTest {

  private static final String OPERATOR = "streamtablecluster";

  private static final Deployment WITH_HPA =
      WorkerDeployment.build(
          Pipelines.settings(
              "{postgresql: {clusterRef: {name: db}, database: app}, workers: {min: 2, max: 8}}"));
  private static final Deployment WITHOUT_AUTOSCALER =
      WorkerDeployment.build(
          Pipelines.settings(
              "{postgresql: {clusterRef: {name: db}, database: app}, workers: {min: 2, max: 8,"
                  + " autoscaler: none}}"));

  /** A managedFields entry as the API server writes it (fieldsV1 abridged to what matters). */
  private static String entry(String manager, String operation, String subresource, String spec) {
    return "  - manager: "
        + manager
        + "\n    operation: "
        + operation
        + "\n    apiVersion: apps/v1\n    fieldsType: FieldsV1\n"
        + (subresource == null ? "" : "    subresource: " + subresource + "\n")
        + "    fieldsV1:\n      f:metadata: {f:labels: {f:app.kubernetes.io/name: {}}}\n"
        + "      f:spec: "
        + spec
        + "\n";
  }

  private static Deployment live(int replicas, String... entries) {
    return Serialization.unmarshal(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: orders-worker\n"
            + "  namespace: prod\n  managedFields:\n"
            + String.join("", entries)
            + "spec:\n  replicas: "
            + replicas
            + "\n",
        Deployment.class);
  }

  private static final String REPLICAS_AND_TEMPLATE = "{f:replicas: {}, f:template: {}}";
  private static final String TEMPLATE_ONLY = "{f:template: {}, f:strategy: {}}";

  @Test
  void theOperatorAloneOwningReplicasAndAnAutoscalerTakingOverHandsTheLiveCountOver() {
    Deployment live = live(2, entry(OPERATOR, "Apply", null, REPLICAS_AND_TEMPLATE));
    assertThat(ReplicasHandover.replicasToHandOver(live, WITH_HPA, OPERATOR))
        .isEqualTo(OptionalInt.of(2));
  }

  @Test
  void nothingToHandOverWhenTheOperatorKeepsSettingReplicas() {
    Deployment live = live(2, entry(OPERATOR, "Apply", null, REPLICAS_AND_TEMPLATE));
    assertThat(ReplicasHandover.replicasToHandOver(live, WITHOUT_AUTOSCALER, OPERATOR)).isEmpty();
  }

  @Test
  void nothingToHandOverWhenTheOperatorDoesNotOwnReplicas() {
    // Created with an autoscaler, scaled by the HPA through the scale subresource.
    Deployment live =
        live(
            3,
            entry(OPERATOR, "Apply", null, TEMPLATE_ONLY),
            entry("kube-controller-manager", "Update", "scale", "{f:replicas: {}}"));
    assertThat(ReplicasHandover.replicasToHandOver(live, WITH_HPA, OPERATOR)).isEmpty();
  }

  @Test
  void nothingToHandOverWhenAnotherManagerAlreadyCoOwnsReplicas() {
    // An earlier switch's handover manager still co-owns the same count: the field survives.
    Deployment live =
        live(
            2,
            entry(OPERATOR, "Apply", null, REPLICAS_AND_TEMPLATE),
            entry(ReplicasHandover.FIELD_MANAGER, "Apply", null, "{f:replicas: {}}"));
    assertThat(ReplicasHandover.replicasToHandOver(live, WITH_HPA, OPERATOR)).isEmpty();
  }

  @Test
  void onlyTheOperatorsApplyEntryCounts() {
    // The same manager name with an Update entry is a separate owner, kept by the apply.
    Deployment byUpdate = live(2, entry(OPERATOR, "Update", null, REPLICAS_AND_TEMPLATE));
    assertThat(ReplicasHandover.replicasToHandOver(byUpdate, WITH_HPA, OPERATOR)).isEmpty();
    Deployment otherOperator = live(2, entry("someone-else", "Apply", null, REPLICAS_AND_TEMPLATE));
    assertThat(ReplicasHandover.replicasToHandOver(otherOperator, WITH_HPA, OPERATOR)).isEmpty();
  }

  @Test
  void nothingToHandOverWithoutManagedFieldsOrALiveObject() {
    Deployment bare =
        Serialization.unmarshal(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: orders-worker}\n"
                + "spec: {replicas: 2}\n",
            Deployment.class);
    assertThat(ReplicasHandover.replicasToHandOver(bare, WITH_HPA, OPERATOR)).isEmpty();
    assertThat(ReplicasHandover.replicasToHandOver(null, WITH_HPA, OPERATOR)).isEmpty();
  }

  @Test
  void theApplyBodyCarriesOnlyTheIdentityAndTheCount() {
    assertThat(
            Serialization.unmarshal(
                ReplicasHandover.applyBody("prod", "orders-worker", 4), Map.class))
        .isEqualTo(
            Map.of(
                "apiVersion",
                "apps/v1",
                "kind",
                "Deployment",
                "metadata",
                Map.of("name", "orders-worker", "namespace", "prod"),
                "spec",
                Map.of("replicas", 4)));
  }
}
