package io.pgtrickle.operator.postgres.rollout;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import org.junit.jupiter.api.Test;

class ResourceComparisonTest {

  @Test
  void amountsNotSpellingsAreCompared() {
    assertThat(
            ResourceComparison.equal(
                new ResourceRequirementsBuilder().addToRequests("cpu", new Quantity("1")).build(),
                new ResourceRequirementsBuilder()
                    .addToRequests("cpu", new Quantity("1000m"))
                    .build()))
        .isTrue();
  }

  /**
   * A spec with only {@code limits.memory}: the pod has the request the API server defaulted from
   * it. Unequal before, so every round resized every member again.
   */
  @Test
  void aLimitWithoutARequestEqualsThePodWithTheDefaultedRequest() {
    var spec = new ResourceRequirementsBuilder().addToLimits("memory", new Quantity("1Gi")).build();
    var pod =
        new ResourceRequirementsBuilder()
            .addToLimits("memory", new Quantity("1Gi"))
            .addToRequests("memory", new Quantity("1024Mi"))
            .build();
    assertThat(ResourceComparison.equal(spec, pod)).isTrue();
    assertThat(ResourceComparison.equal(pod, spec)).isTrue();
    var other =
        new ResourceRequirementsBuilder()
            .addToLimits("memory", new Quantity("1Gi"))
            .addToRequests("memory", new Quantity("512Mi"))
            .build();
    assertThat(ResourceComparison.equal(spec, other)).isFalse();
    assertThat(ResourceComparison.equal(null, spec)).isFalse();
  }
}
