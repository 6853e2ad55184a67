package io.pgtrickle.operator.api.streams;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/**
 * CPU and memory requests and limits of a pipeline container, as in a pod's {@code resources} (only
 * {@code cpu} and {@code memory}). The API server checks each value is a quantity and no request
 * exceeds its limit ({@link #QUANTITIES_RULE}, {@link #REQUESTS_WITHIN_LIMITS_RULE}), the checks it
 * would otherwise make only on the pods, long after the resource was accepted.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class ContainerResources {

  /** CEL: every value given is a Kubernetes quantity (500m, 2, 512Mi, 1Gi). */
  public static final String QUANTITIES_RULE =
      "(!has(self.requests) || ((!has(self.requests.cpu) || isQuantity(string(self.requests.cpu)))"
          + " && (!has(self.requests.memory) || isQuantity(string(self.requests.memory))))) &&"
          + " (!has(self.limits) || ((!has(self.limits.cpu) || isQuantity(string(self.limits.cpu)))"
          + " && (!has(self.limits.memory) || isQuantity(string(self.limits.memory)))))";

  /** CEL: a request no greater than the limit of the same resource. */
  public static final String REQUESTS_WITHIN_LIMITS_RULE =
      "!has(self.requests) || !has(self.limits) || ((!has(self.requests.cpu) ||"
          + " !has(self.limits.cpu) || !isQuantity(string(self.requests.cpu)) ||"
          + " !isQuantity(string(self.limits.cpu)) ||"
          + " quantity(string(self.requests.cpu)).compareTo(quantity(string(self.limits.cpu))) <= 0)"
          + " && (!has(self.requests.memory) || !has(self.limits.memory) ||"
          + " !isQuantity(string(self.requests.memory)) || !isQuantity(string(self.limits.memory))"
          + " || quantity(string(self.requests.memory)).compareTo(quantity(string(self.limits.memory)))"
          + " <= 0))";

  @JsonPropertyDescription("What the scheduler reserves: cpu and memory.")
  private ResourceAmounts requests;

  @JsonPropertyDescription("What the container may use at most: cpu and memory.")
  private ResourceAmounts limits;

  public ResourceAmounts getRequests() {
    return requests;
  }

  public void setRequests(ResourceAmounts requests) {
    this.requests = requests;
  }

  public ResourceAmounts getLimits() {
    return limits;
  }

  public void setLimits(ResourceAmounts limits) {
    this.limits = limits;
  }
}
