package io.pgtrickle.operator.api.streams;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;

/**
 * Desired state of a {@link StreamTableCluster}: exactly the seed's fields (seed 000 LT-1) plus
 * {@code postgresql.clusterRef}, {@code workers.autoscaler}, {@code cdc.image} and {@code
 * cdc.logReclaimPolicy}. Combinations are checked by the API server (CEL rules below), each message
 * naming the field.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
    value = "self.workers.min <= self.workers.max",
    message = "spec.workers.min must be less than or equal to spec.workers.max",
    reason = "FieldValueInvalid",
    fieldPath = ".workers.min")
@ValidationRule(
    value = "!has(self.cdc) || self.cdc.logBackend != 'nats' || has(self.nats)",
    message = "spec.nats is required when spec.cdc.logBackend is nats (at least spec.nats.url)",
    reason = "FieldValueRequired",
    fieldPath = ".nats")
@ValidationRule(
    value = "!has(self.cdc) || self.cdc.logBackend != 'kafka' || has(self.kafka)",
    message =
        "spec.kafka is required when spec.cdc.logBackend is kafka (at least"
            + " spec.kafka.bootstrapServers)",
    reason = "FieldValueRequired",
    fieldPath = ".kafka")
@ValidationRule(
    value = "!has(self.nats) || (has(self.cdc) && self.cdc.logBackend == 'nats')",
    message =
        "spec.nats is only used when spec.cdc.logBackend is nats: set spec.cdc.logBackend: nats"
            + " or remove spec.nats",
    reason = "FieldValueInvalid",
    fieldPath = ".nats")
@ValidationRule(
    value = "!has(self.kafka) || (has(self.cdc) && self.cdc.logBackend == 'kafka')",
    message =
        "spec.kafka is only used when spec.cdc.logBackend is kafka: set spec.cdc.logBackend: kafka"
            + " or remove spec.kafka",
    reason = "FieldValueInvalid",
    fieldPath = ".kafka")
@ValidationRule(
    value =
        "(has(self.cdc) && has(self.cdc.logBackend) ? self.cdc.logBackend : 'postgres')"
            + " == (has(oldSelf.cdc) && has(oldSelf.cdc.logBackend)"
            + " ? oldSelf.cdc.logBackend : 'postgres')",
    message =
        "spec.cdc.logBackend cannot change: the change events not yet applied are in the current"
            + " change log; delete this StreamTableCluster and create one with the other backend",
    reason = "FieldValueForbidden",
    fieldPath = ".cdc")
public class StreamTableClusterSpec {

  @Required
  @JsonPropertyDescription(
      "The database whose stream tables this pipeline keeps fresh: either host (with secretRef)"
          + " or clusterRef, a PostgresCluster in the same namespace.")
  private PostgresqlSource postgresql;

  @Required
  @JsonPropertyDescription(
      "The workers that apply the change log to stream tables: a Deployment scaled between min"
          + " and max.")
  private WorkersSpec workers;

  @JsonPropertyDescription(
      "Change capture: the CDC consumer StatefulSet (one replication slot per pod) and the change"
          + " log it writes. Default: one consumer, the PostgreSQL-tables backend.")
  @io.fabric8.generator.annotation.Default("{}")
  private CdcSpec cdc;

  @JsonPropertyDescription("NATS JetStream change log; required when cdc.logBackend is nats.")
  private NatsSpec nats;

  @JsonPropertyDescription("Apache Kafka change log; required when cdc.logBackend is kafka.")
  private KafkaSpec kafka;

  @JsonPropertyDescription("Metrics scraping and export of the pipeline's programs.")
  private MonitoringSpec monitoring;

  public PostgresqlSource getPostgresql() {
    return postgresql;
  }

  public void setPostgresql(PostgresqlSource postgresql) {
    this.postgresql = postgresql;
  }

  public WorkersSpec getWorkers() {
    return workers;
  }

  public void setWorkers(WorkersSpec workers) {
    this.workers = workers;
  }

  public CdcSpec getCdc() {
    return cdc;
  }

  public void setCdc(CdcSpec cdc) {
    this.cdc = cdc;
  }

  public NatsSpec getNats() {
    return nats;
  }

  public void setNats(NatsSpec nats) {
    this.nats = nats;
  }

  public KafkaSpec getKafka() {
    return kafka;
  }

  public void setKafka(KafkaSpec kafka) {
    this.kafka = kafka;
  }

  public MonitoringSpec getMonitoring() {
    return monitoring;
  }

  public void setMonitoring(MonitoringSpec monitoring) {
    this.monitoring = monitoring;
  }
}
