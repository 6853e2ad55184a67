package io.pgtrickle.operator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/**
 * A cert-manager issuer, as cert-manager's {@code Certificate.spec.issuerRef} names it: an Issuer
 * or ClusterIssuer of cert-manager.io, or an external issuer of its own group and kind (such as
 * awspca.cert-manager.io AWSPCAClusterIssuer), passed to the Certificate as given.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
    value =
        "!has(self.kind) || (has(self.group) && self.group != 'cert-manager.io')"
            + " || self.kind in ['Issuer', 'ClusterIssuer']",
    message =
        "spec.tls.certManager.issuerRef.kind must be Issuer or ClusterIssuer for group"
            + " cert-manager.io (the default); an external issuer's kind needs its group",
    reason = "FieldValueInvalid",
    fieldPath = ".kind")
public class IssuerRef {

  @Required
  @Size(min = 1, max = 253)
  @JsonPropertyDescription("Name of the Issuer (in the cluster's namespace) or ClusterIssuer.")
  private String name;

  @JsonPropertyDescription(
      "Issuer (default) or ClusterIssuer; with an external issuer's group, that issuer's kind"
          + " (e.g. AWSPCAClusterIssuer).")
  @ValidationRule(
      value = "self.matches('^[A-Z][A-Za-z0-9]*$')",
      message =
          "spec.tls.certManager.issuerRef.kind must be a kind name such as Issuer, ClusterIssuer"
              + " or an external issuer's kind",
      reason = "FieldValueInvalid")
  @Size(max = 63)
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
