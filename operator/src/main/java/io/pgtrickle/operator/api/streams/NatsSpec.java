package io.pgtrickle.operator.api.streams;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/** A NATS JetStream change log. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
    value =
        "has(self.stream) == has(oldSelf.stream) && (!has(self.stream) || self.stream =="
            + " oldSelf.stream)",
    message =
        "spec.nats.stream cannot change: the change events not yet applied are in the current"
            + " stream; delete this StreamTableCluster and create one with the other stream",
    reason = "FieldValueForbidden",
    fieldPath = ".stream")
public class NatsSpec {

  @Required
  @JsonPropertyDescription("The NATS server, nats://host:port, e.g. nats://nats.default.svc:4222.")
  @ValidationRule(
      value = "self.matches('^nats://[^/?#@]+$')",
      message =
          "spec.nats.url must be nats://host:port (no credentials, path or parameters), such as"
              + " nats://nats.default.svc:4222",
      reason = "FieldValueInvalid")
  @Size(max = 512)
  private String url;

  @JsonPropertyDescription(
      "The JetStream stream, created with the configured replicas before the CDC consumers start"
          + " (and a key-value bucket STREAM-acks beside it). Default pgtrickle-NAMESPACE-NAME, so"
          + " that two pipelines never share a stream. Letters, digits, '-' and '_'. Cannot"
          + " change.")
  @ValidationRule(
      value = "self.matches('^[A-Za-z0-9_-]{1,200}$')",
      message =
          "spec.nats.stream must be 1 to 200 letters, digits, '-' or '_' (NATS stream names"
              + " cannot hold '.', '*', '>' or spaces)",
      reason = "FieldValueInvalid")
  @Size(max = 200)
  private String stream;

  @Default("1")
  @JsonPropertyDescription(
      "Copies of the stream kept by the NATS cluster, 1 to 5 (JetStream's limit). Default 1."
          + " Fixed once the stream exists.")
  @ValidationRule(
      value = "self >= 1 && self <= 5",
      message = "spec.nats.replicas must be between 1 and 5",
      reason = "FieldValueInvalid")
  @ValidationRule(
      value = "self == oldSelf",
      message =
          "spec.nats.replicas cannot change: the stream exists with its replicas, and changing"
              + " them is not built yet",
      reason = "FieldValueForbidden")
  private Integer replicas = 1;

  public String getUrl() {
    return url;
  }

  public void setUrl(String url) {
    this.url = url;
  }

  public String getStream() {
    return stream;
  }

  public void setStream(String stream) {
    this.stream = stream;
  }

  public Integer getReplicas() {
    return replicas;
  }

  public void setReplicas(Integer replicas) {
    this.replicas = replicas;
  }
}
