package io.pgtrickle.operator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Size;
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

  /**
   * Most source ranges: bounds the cost of the CIDR rule (the API server refuses an unbounded
   * list); cloud load balancers take fewer anyway.
   */
  public static final int MAX_SOURCE_RANGES = 256;

  /** Longest source range: an IPv6 address in its longest form, a slash and 128. */
  static final int MAX_CIDR_LENGTH = 49;

  @JsonPropertyDescription(
      "Service type of the read-write and read-only Services (and of NAME-pooler with"
          + " PgBouncer): ClusterIP (default), NodePort or LoadBalancer.")
  private ServiceType type;

  @JsonPropertyDescription(
      "Client CIDRs allowed to reach a LoadBalancer Service, e.g. 10.0.0.0/8 or 2001:db8::/32, at"
          + " most "
          + MAX_SOURCE_RANGES
          + ". Type LoadBalancer only.")
  @Size(max = MAX_SOURCE_RANGES)
  @ValidationRule(
      value = "self.all(r, isCIDR(r))",
      message = "spec.service.loadBalancerSourceRanges entries must be CIDRs such as 10.0.0.0/8",
      messageExpression =
          "'spec.service.loadBalancerSourceRanges entries must be CIDRs such as 10.0.0.0/8 or"
              + " 2001:db8::/32 (an address, a slash and a prefix length, no blanks), not \\'' +"
              + " self.filter(r, !isCIDR(r))[0] + '\\''",
      reason = "FieldValueInvalid")
  private List<@Size(max = MAX_CIDR_LENGTH) String> loadBalancerSourceRanges;

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
