package io.pgtrickle.operator.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.AggregatedOperatorException;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ApiRefusalTest {

  private static KubernetesClientException status(int code, String message) {
    return new KubernetesClientException(
        new StatusBuilder().withCode(code).withMessage(message).build());
  }

  @Test
  void aRefusalInsideTheWorkflowsAggregateIsFound() {
    Exception thrown =
        new AggregatedOperatorException(
            "workflow failed",
            Map.of(
                "replica-service",
                new RuntimeException(
                    "wrapped",
                    status(403, "services \"c-replica\" is forbidden: exceeded quota"))));
    assertThat(ApiRefusal.in(thrown))
        .contains(
            "The API server refused a child of the cluster: services \"c-replica\" is forbidden:"
                + " exceeded quota");
  }

  @Test
  void transientErrorsAreNotRefusals() {
    assertThat(ApiRefusal.in(status(409, "conflict"))).isEmpty();
    assertThat(ApiRefusal.in(status(500, "etcd timeout"))).isEmpty();
    assertThat(ApiRefusal.in(status(429, "too many requests"))).isEmpty();
    assertThat(ApiRefusal.in(new IllegalStateException("no cause"))).isEmpty();
    assertThat(ApiRefusal.in(status(422, "StatefulSet.apps \"c\" is invalid"))).isPresent();
  }

  /**
   * What server-side apply answered for {@code resources.limits.cpu: lots} (seen on the test bed).
   */
  @Test
  void aPatchThatDoesNotFitTheSchemaIsARefusal() {
    assertThat(
            ApiRefusal.in(
                status(
                    500,
                    "failed to create typed patch object (ns/c; apps/v1, Kind=StatefulSet):"
                        + " .spec.template.spec.containers[name=\"postgres\"].resources.limits.cpu:"
                        + " quantities must match the regular expression")))
        .hasValueSatisfying(m -> assertThat(m).contains("quantities must match"));
    assertThat(
            ApiRefusal.in(
                status(
                    500,
                    "failed to convert new object (ns/c; apps/v1, Kind=StatefulSet) to proper version:"
                        + " unable to convert unstructured object to apps/v1, Kind=StatefulSet:"
                        + " quantities must match the regular expression")))
        .isPresent();
  }
}
