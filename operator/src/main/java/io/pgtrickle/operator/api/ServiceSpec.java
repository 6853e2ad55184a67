package io.pgtrickle.operator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.List;

/** How the cluster's Services are exposed. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
    value =
        "!has(self.loadBalancerSourceRanges) || (has(self.type) && self.type == 'LoadBalancer')",
    message =
        "spec.service.loadBalancerSourceRanges applies to type LoadBalancer only: set"
            + " spec.service.type: LoadBalancer or remove the source ranges (a ClusterIP or"
            + " NodePort Service has none)",
    reason = "FieldValueForbidden",
    fieldPath = ".loadBalancerSourceRanges")
public class ServiceSpec {

  @JsonPropertyDescription(
      "Service type of the read-write and read-only Services (and of NAME-pooler with"
          + " PgBouncer): ClusterIP (default), NodePort or LoadBalancer.")
  private ServiceType type;

  @JsonPropertyDescription(
      "Client CIDRs allowed to reach a LoadBalancer Service, e.g. 10.0.0.0/8. Type LoadBalancer"
          + " only.")
  private List<String> loadBalancerSourceRanges;

  public ServiceType getType() {
    return type;
  }

  public void setType(ServiceType type) {
    this.type = type;
  }

  public List<String> getLoadBalancerSourceRanges() {
    return loadBalancerSourceRanges;
  }

  public void setLoadBalancerSourceRanges(List<String> loadBalancerSourceRanges) {
    this.loadBalancerSourceRanges = loadBalancerSourceRanges;
  }
}
