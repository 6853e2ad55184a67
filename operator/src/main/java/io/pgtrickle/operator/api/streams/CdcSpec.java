package io.pgtrickle.operator.api.streams;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import io.pgtrickle.operator.api.ReclaimPolicy;

/** The CDC consumers and the change log they write. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class CdcSpec {

  /** The most CDC consumers (replication slots); names are sized for two-digit ordinals. */
  public static final int MAX_REPLICAS = 99;

  @Default("external")
  @JsonPropertyDescription(
      "How changes are captured: external (default), by the CDC consumer StatefulSet from logical"
          + " replication (pgoutput). The only mode this operator runs.")
  @ValidationRule(
      value = "self == 'external'",
      message =
          "spec.cdc.mode must be external: changes are captured by the CDC consumer StatefulSet"
              + " from logical replication (trigger-based capture runs inside the pg_trickle"
              + " extension, which this operator does not manage)",
      reason = "FieldValueInvalid")
  @Size(max = 16)
  private String mode = "external";

  @Default("1")
  @JsonPropertyDescription(
      "CDC consumers, one replication slot each, 1 to 99. Default 1. The catalog's captured"
          + " tables are shared among them by table OID; scaling down drops the removed"
          + " consumers' slots (a decommission Job each) so no slot pins WAL.")
  @ValidationRule(
      value = "self >= 1 && self <= " + MAX_REPLICAS,
      message = "spec.cdc.replicas must be between 1 and " + MAX_REPLICAS,
      reason = "FieldValueInvalid")
  private Integer replicas = 1;

  @Default("postgres")
  @JsonPropertyDescription(
      "Change log backend: postgres (default; tables in the same database, schema"
          + " pgtrickle_changelog), nats (NATS JetStream, spec.nats) or kafka (spec.kafka). wal"
          + " (local WAL files) is refused: its directory belongs to one process, and the CDC"
          + " consumers and workers run in separate pods.")
  @ValidationRule(
      value = "self in ['postgres', 'wal', 'nats', 'kafka']",
      message = "spec.cdc.logBackend must be one of postgres, wal, nats, kafka",
      reason = "FieldValueInvalid")
  @ValidationRule(
      value = "self != 'wal'",
      message =
          "spec.cdc.logBackend: wal is not supported by a StreamTableCluster: the local WAL files"
              + " belong to one process (a directory lock), and the CDC consumers and the workers"
              + " run in separate pods; use postgres (no extra infrastructure), nats or kafka",
      reason = "FieldValueInvalid")
  @Size(max = 16)
  private String logBackend = "postgres";

  @Default("Delete")
  @JsonPropertyDescription(
      "What happens to the change log when the StreamTableCluster is deleted: Delete (default)"
          + " removes the NATS stream, the Kafka topics or the pgtrickle_changelog schema; Retain"
          + " keeps them. The replication slots are always dropped, and the stream tables always"
          + " stay.")
  private ReclaimPolicy logReclaimPolicy = ReclaimPolicy.Delete;

  @JsonPropertyDescription(
      "CDC consumer image. Default: the operator's (PG_TRICKLE_CDC_IMAGE,"
          + " ghcr.io/pg-trickle/cdc-consumer of the operator's version).")
  @Size(max = 512)
  private String image;

  @JsonPropertyDescription(
      "CPU and memory requests and limits (cpu, memory) of each CDC consumer's container, used as given."
          + " Absent: requests cpu 250m and memory 512Mi, limit memory 1Gi (the JVM's heap is half"
          + " of the limit). Requests may not exceed limits.")
  @ValidationRule(
      value = ContainerResources.QUANTITIES_RULE,
      message =
          "spec.cdc.resources: cpu and memory must be quantities such as 500m, 2, 512Mi or 1Gi",
      reason = "FieldValueInvalid")
  @ValidationRule(
      value = ContainerResources.REQUESTS_WITHIN_LIMITS_RULE,
      message = "spec.cdc.resources: a request may not exceed its limit",
      reason = "FieldValueInvalid")
  private ContainerResources resources;

  /** The backend as a value; valid only for a spec the API server has accepted. */
  @JsonIgnore
  public LogBackend backend() {
    return LogBackend.of(logBackend);
  }

  public String getMode() {
    return mode;
  }

  public void setMode(String mode) {
    this.mode = mode;
  }

  public Integer getReplicas() {
    return replicas;
  }

  public void setReplicas(Integer replicas) {
    this.replicas = replicas;
  }

  public String getLogBackend() {
    return logBackend;
  }

  public void setLogBackend(String logBackend) {
    this.logBackend = logBackend;
  }

  public ReclaimPolicy getLogReclaimPolicy() {
    return logReclaimPolicy;
  }

  public void setLogReclaimPolicy(ReclaimPolicy logReclaimPolicy) {
    this.logReclaimPolicy = logReclaimPolicy;
  }

  public ContainerResources getResources() {
    return resources;
  }

  public void setResources(ContainerResources resources) {
    this.resources = resources;
  }

  public String getImage() {
    return image;
  }

  public void setImage(String image) {
    this.image = image;
  }

  /** The change log backends a StreamTableCluster can run. */
  public enum LogBackend {
    POSTGRES,
    WAL,
    NATS,
    KAFKA;

    /** From the spec's lower-case spelling; null means the default, postgres. */
    public static LogBackend of(String value) {
      return value == null ? POSTGRES : valueOf(value.toUpperCase(java.util.Locale.ROOT));
    }
  }
}
