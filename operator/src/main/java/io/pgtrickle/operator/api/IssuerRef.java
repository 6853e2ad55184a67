package io.pgtrickle.operator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/** A cert-manager issuer, as cert-manager's {@code Certificate.spec.issuerRef} names it. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class IssuerRef {

  @Required
  @Size(min = 1, max = 253)
  @JsonPropertyDescription("Name of the Issuer (in the cluster's namespace) or ClusterIssuer.")
  private String name;

  @JsonPropertyDescription("Issuer (default) or ClusterIssuer.")
  @ValidationRule(
      value = "self in ['Issuer', 'ClusterIssuer']",
      message = "spec.tls.certManager.issuerRef.kind must be Issuer or ClusterIssuer",
      reason = "FieldValueInvalid")
  private String kind;

  @JsonPropertyDescription(
      "API group of the issuer: cert-manager.io (default) or an external issuer's group.")
  @Size(max = 253)
  private String group;

  public String getName() {
    return name;
  }

  public void setName(String name) {
    this.name = name;
  }

  public String getKind() {
    return kind;
  }

  public void setKind(String kind) {
    this.kind = kind;
  }

  public String getGroup() {
    return group;
  }

  public void setGroup(String group) {
    this.group = group;
  }
}
