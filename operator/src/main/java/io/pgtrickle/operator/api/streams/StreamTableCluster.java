package io.pgtrickle.operator.api.streams;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Singular;
import io.fabric8.kubernetes.model.annotation.Version;
import io.pgtrickle.operator.streams.StreamTableClusterNames;

/**
 * The pg_trickle pipeline of one database (seed 000 LT-1): a CDC consumer StatefulSet reading
 * logical replication into a change log (PostgreSQL tables, NATS JetStream or Kafka), and a
 * Deployment of workers, scaled by a HorizontalPodAutoscaler, keeping the database's stream tables
 * fresh. Stream tables themselves are created with SQL ({@code pgtrickle.create_stream_table} or
 * {@code pgtrickle.exec_stream_ddl('CREATE STREAM TABLE ...')}); the pipeline follows the catalog.
 */
@Group(StreamTableCluster.GROUP)
@Version(StreamTableCluster.VERSION)
@Kind("StreamTableCluster")
@Plural("streamtableclusters")
@Singular("streamtablecluster")
@ShortNames("stc")
@AdditionalPrinterColumn(
    name = "Backend",
    jsonPath = ".spec.cdc.logBackend",
    type = AdditionalPrinterColumn.Type.STRING,
    getDescription = "Change log backend")
@AdditionalPrinterColumn(
    name = "Workers",
    jsonPath = ".status.workers",
    type = AdditionalPrinterColumn.Type.STRING,
    getDescription = "Ready workers / desired workers")
@AdditionalPrinterColumn(
    name = "CDC Lag",
    jsonPath = ".status.cdcLag",
    type = AdditionalPrinterColumn.Type.STRING,
    getDescription = "WAL the slowest CDC consumer's slot has not confirmed yet")
@AdditionalPrinterColumn(
    name = "Ingest Lag",
    jsonPath = ".status.ingestLag",
    type = AdditionalPrinterColumn.Type.STRING,
    getDescription = "WAL not yet copied from the change log into the workers' change buffers")
@AdditionalPrinterColumn(
    name = "Stream Tables",
    jsonPath = ".status.streamTables",
    type = AdditionalPrinterColumn.Type.INTEGER,
    getDescription = "Stream tables in the database's pgtrickle catalog")
@AdditionalPrinterColumn(
    name = "In Error",
    jsonPath = ".status.streamTablesInError",
    type = AdditionalPrinterColumn.Type.INTEGER,
    getDescription = "Stream tables in status ERROR, no longer refreshed")
@AdditionalPrinterColumn(
    name = "Status",
    jsonPath = ".status.phase",
    type = AdditionalPrinterColumn.Type.STRING,
    getDescription = "Lifecycle phase")
@AdditionalPrinterColumn(
    name = "Database",
    jsonPath = ".spec.postgresql.database",
    type = AdditionalPrinterColumn.Type.STRING,
    priority = 1,
    getDescription = "The database whose stream tables the pipeline keeps (kubectl get -o wide)")
@AdditionalPrinterColumn(
    name = "CDC",
    jsonPath = ".status.cdcConsumers",
    type = AdditionalPrinterColumn.Type.STRING,
    priority = 1,
    getDescription = "Ready CDC consumers / desired (kubectl get -o wide)")
@AdditionalPrinterColumn(
    name = "Stalest",
    jsonPath = ".status.worstFreshnessTable",
    type = AdditionalPrinterColumn.Type.STRING,
    priority = 1,
    getDescription = "The stream table whose data is the oldest (kubectl get -o wide)")
@AdditionalPrinterColumn(
    name = "Stalest Ms",
    jsonPath = ".status.worstFreshnessLagMs",
    type = AdditionalPrinterColumn.Type.INTEGER,
    priority = 1,
    getDescription = "now() - data_timestamp of that stream table, ms (kubectl get -o wide)")
@AdditionalPrinterColumn(
    name = "Reason",
    jsonPath = ".status.phaseReason",
    type = AdditionalPrinterColumn.Type.STRING,
    priority = 1,
    getDescription = "Why the pipeline is in its phase (kubectl get -o wide)")
@AdditionalPrinterColumn(
    name = "Age",
    jsonPath = ".metadata.creationTimestamp",
    type = AdditionalPrinterColumn.Type.DATE)
@ValidationRule(
    value = StreamTableClusterNames.NAME_LENGTH_RULE,
    message = StreamTableClusterNames.NAME_LENGTH_MESSAGE,
    reason = "FieldValueInvalid")
@ValidationRule(
    value = StreamTableClusterNames.NAME_FORMAT_RULE,
    message = StreamTableClusterNames.NAME_FORMAT_MESSAGE,
    reason = "FieldValueInvalid")
public class StreamTableCluster
    extends CustomResource<StreamTableClusterSpec, StreamTableClusterStatus> implements Namespaced {

  public static final String GROUP = "trickle-labs.io";
  public static final String VERSION = "v1alpha1";
  public static final String API_VERSION = GROUP + "/" + VERSION;

  /** Declared here only to mark the spec as required in the generated schema. */
  @Override
  @Required
  @JsonPropertyDescription(
      "The database, the CDC consumers and change log, the workers and their"
          + " autoscaler, and monitoring.")
  public StreamTableClusterSpec getSpec() {
    return super.getSpec();
  }

  @Override
  @JsonPropertyDescription(
      "Phase, CDC consumers and workers ready, CDC lag, stream tables, autoscaling and"
          + " conditions.")
  public StreamTableClusterStatus getStatus() {
    return super.getStatus();
  }
}
