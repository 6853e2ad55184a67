package io.pgtrickle.operator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.ValidationRule;

/**
 * TLS for client connections. The server certificate comes from the operator's own CA (default),
 * from {@code certSecret}, or from cert-manager ({@code certManager}). With the operator's CA,
 * replication is also authenticated by client certificate (mTLS); the operator holds no CA key for
 * the other two, and replication there is password-authenticated over verified TLS.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
    value = "!(has(self.certSecret) && has(self.certManager))",
    message =
        "spec.tls: certSecret (a Secret you provide) and certManager (a Certificate the operator"
            + " writes) exclude each other; set one",
    reason = "FieldValueForbidden")
@ValidationRule(
    value = "!has(self.certManager) || (has(self.enabled) && self.enabled)",
    message = "spec.tls.certManager needs spec.tls.enabled: true",
    reason = "FieldValueForbidden")
@ValidationRule(
    value = "!has(self.certSecret) || (has(self.enabled) && self.enabled)",
    message =
        "spec.tls.certSecret needs spec.tls.enabled: true (without it the members serve no TLS"
            + " and the Secret is not used)",
    reason = "FieldValueForbidden",
    fieldPath = ".certSecret")
public class TlsSpec {

  @JsonPropertyDescription(
      "Serve TLS to clients (remote clients must use it). Default false. Without certSecret and"
          + " certManager the operator is the cluster's CA, and remote replication then also needs"
          + " the replication user's client certificate, which the operator issues and renews"
          + " (mTLS).")
  private Boolean enabled;

  @JsonPropertyDescription(
      "Secret of type kubernetes.io/tls with the server certificate (tls.crt, tls.key and"
          + " optionally ca.crt). Needs enabled: true.")
  private String certSecret;

  @JsonPropertyDescription(
      "Have cert-manager issue the server certificate: the operator writes a cert-manager.io/v1"
          + " Certificate NAME-tls (Secret NAME-tls, every Service and pod name) for this issuer and"
          + " follows its renewals. Needs cert-manager installed.")
  private CertManagerSpec certManager;

  public Boolean getEnabled() {
    return enabled;
  }

  public void setEnabled(Boolean enabled) {
    this.enabled = enabled;
  }

  public CertManagerSpec getCertManager() {
    return certManager;
  }

  public void setCertManager(CertManagerSpec certManager) {
    this.certManager = certManager;
  }

  public String getCertSecret() {
    return certSecret;
  }

  public void setCertSecret(String certSecret) {
    this.certSecret = certSecret;
  }
}
