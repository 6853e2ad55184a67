package io.pgtrickle.operator.api.streams;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/** An Apache Kafka change log. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
    value =
        "has(self.topicPrefix) == has(oldSelf.topicPrefix) && (!has(self.topicPrefix) ||"
            + " self.topicPrefix == oldSelf.topicPrefix)",
    message =
        "spec.kafka.topicPrefix cannot change: the change events not yet applied are in the"
            + " current topics; delete this StreamTableCluster and create one with the other prefix",
    reason = "FieldValueForbidden",
    fieldPath = ".topicPrefix")
public class KafkaSpec {

  @Required
  @JsonPropertyDescription("Bootstrap servers, host:port[,host:port...].")
  @ValidationRule(
      value = "self.matches('^[A-Za-z0-9.-]+:[0-9]{1,5}(,[A-Za-z0-9.-]+:[0-9]{1,5})*$')",
      message =
          "spec.kafka.bootstrapServers must be host:port[,host:port...], such as"
              + " kafka-0.kafka.default.svc:9092",
      reason = "FieldValueInvalid")
  @Size(max = 1024)
  private String bootstrapServers;

  @JsonPropertyDescription(
      "Prefix of the topics: PREFIX.changes holds the change events, PREFIX.changes.positions"
          + " (compacted) the consumers' positions. Both are created with the configured"
          + " replication before the CDC consumers start. Default pgtrickle.NAMESPACE.NAME."
          + " Cannot change.")
  @ValidationRule(
      value = "self.matches('^[A-Za-z0-9._-]{1,200}$')",
      message = "spec.kafka.topicPrefix must be 1 to 200 letters, digits, '.', '_' or '-'",
      reason = "FieldValueInvalid")
  @Size(max = 200)
  private String topicPrefix;

  @JsonPropertyDescription(
      "Replication factor of the topics, 1 to 32, at most the number of brokers. Default: the"
          + " brokers' default.replication.factor. May change: the operator reassigns the"
          + " existing topics' partitions to that many brokers (the brokers copy the data;"
          + " nothing is lost and no pod restarts); a count the cluster cannot hold is reported"
          + " in the ChangeLogReady condition (reason SettingRefused). Removing it leaves the"
          + " topics as they are.")
  @ValidationRule(
      value = "self >= 1 && self <= 32",
      message = "spec.kafka.replicationFactor must be between 1 and 32",
      reason = "FieldValueInvalid")
  private Integer replicationFactor;

  @Default("8")
  @JsonPropertyDescription(
      "Partitions of the change topic, 1 to 1000; a source's events stay in one partition."
          + " Default 8. Cannot change.")
  @ValidationRule(
      value = "self >= 1 && self <= 1000",
      message = "spec.kafka.partitions must be between 1 and 1000",
      reason = "FieldValueInvalid")
  @ValidationRule(
      value = "self == oldSelf",
      message =
          "spec.kafka.partitions cannot change: the change topic exists with its partitions, and"
              + " adding some would move sources to other partitions mid-stream (not built yet)",
      reason = "FieldValueForbidden")
  private Integer partitions = 8;

  public String getBootstrapServers() {
    return bootstrapServers;
  }

  public void setBootstrapServers(String bootstrapServers) {
    this.bootstrapServers = bootstrapServers;
  }

  public String getTopicPrefix() {
    return topicPrefix;
  }

  public void setTopicPrefix(String topicPrefix) {
    this.topicPrefix = topicPrefix;
  }

  public Integer getReplicationFactor() {
    return replicationFactor;
  }

  public void setReplicationFactor(Integer replicationFactor) {
    this.replicationFactor = replicationFactor;
  }

  public Integer getPartitions() {
    return partitions;
  }

  public void setPartitions(Integer partitions) {
    this.partitions = partitions;
  }
}
