package io.pgtrickle.operator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** TLS for client connections. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class TlsSpec {

  @JsonPropertyDescription("Serve TLS to clients. Default false.")
  private Boolean enabled;

  @JsonPropertyDescription(
      "Secret of type kubernetes.io/tls with the server certificate (tls.crt, tls.key and optionally ca.crt).")
  private String certSecret;

  public Boolean getEnabled() {
    return enabled;
  }

  public void setEnabled(Boolean enabled) {
    this.enabled = enabled;
  }

  public String getCertSecret() {
    return certSecret;
  }

  public void setCertSecret(String certSecret) {
    this.certSecret = certSecret;
  }
}
