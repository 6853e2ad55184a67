package io.pgtrickle.operator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;

/**
 * {@code spec.tls.certManager}: the server certificate comes from a cert-manager {@code
 * Certificate} the operator writes ({@code cert-manager.io/v1}, named {@code NAME-tls}, Secret
 * {@code NAME-tls}) instead of the operator's own CA.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class CertManagerSpec {

  @Required
  @JsonPropertyDescription(
      "The cert-manager issuer that signs the server certificate. It must put ca.crt into the"
          + " Secret (CA, Vault and self-signed issuers do; ACME does not): the members verify"
          + " each other against it.")
  private IssuerRef issuerRef;

  public IssuerRef getIssuerRef() {
    return issuerRef;
  }

  public void setIssuerRef(IssuerRef issuerRef) {
    this.issuerRef = issuerRef;
  }
}
