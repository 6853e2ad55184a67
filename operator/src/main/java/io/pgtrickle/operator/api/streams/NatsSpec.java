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
  @JsonPropertyDescription(
      "The NATS server, nats://host:port, e.g. nats://nats.default.svc:4222: one server (a"
          + " NATS cluster tells its clients about its other servers; a Service name reaches"
          + " several), by a DNS name (letters, digits, '-' and '.', the last label starting with"
          + " a letter), an IPv4 address or an IPv6 address in brackets; port 1 to 65535, default"
          + " 4222. No credentials, path or parameters.")
  // What java.net.URI reads as a server's host: anything else (a list, '_', a blank, '%') gives
  // no host, and the change log would dial nats://null.
  @ValidationRule(
      value =
          "self.matches('^nats://("
              + "([A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?\\\\.)*[A-Za-z]([A-Za-z0-9-]*[A-Za-z0-9])?"
              + "|((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\\\\.){3}"
              + "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
              + "|\\\\[[0-9A-Fa-f:.]+\\\\])"
              + "(:(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}"
              + "|[1-9][0-9]{0,3}))?$')"
              + " && (!self.startsWith('nats://[') || isIP(self.substring(8, self.indexOf(']'))))",
      message =
          "spec.nats.url must be nats://host:port for one server, such as"
              + " nats://nats.default.svc:4222: host a DNS name (letters, digits, '-' and '.', the"
              + " last label starting with a letter), an IPv4 address or [an IPv6 address]; port"
              + " 1 to 65535; no list (a NATS cluster tells clients its other servers), credentials,"
              + " path or parameters",
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
      "Copies of the stream and of its STREAM-acks bucket kept by the NATS cluster, 1 to 5"
          + " (JetStream's limit). Default 1. A change is made by the operator on the existing"
          + " stream and bucket: JetStream adds or drops copies and keeps the messages, and the"
          + " pipeline's pods are not restarted. More than 1 needs a NATS cluster of at least"
          + " that many servers; otherwise condition ChangeLogReady is False naming replicas and"
          + " the pipeline runs on as it was.")
  @ValidationRule(
      value = "self >= 1 && self <= 5",
      message = "spec.nats.replicas must be between 1 and 5",
      reason = "FieldValueInvalid")
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
