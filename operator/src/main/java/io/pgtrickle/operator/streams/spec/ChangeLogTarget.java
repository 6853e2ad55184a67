package io.pgtrickle.operator.streams.spec;

import io.pgtrickle.operator.api.streams.CdcSpec.LogBackend;
import io.pgtrickle.operator.api.streams.KafkaSpec;
import io.pgtrickle.operator.api.streams.NatsSpec;

/**
 * The change log of one pipeline: which backend, the resource it lives in (NATS stream, Kafka
 * topic, PostgreSQL schema) and the settings it is created with, and the change-log URI the
 * programs are given (change-log/README.md).
 *
 * @param backend postgres, nats or kafka
 * @param natsUrl {@code nats://host:port} (nats only)
 * @param stream the JetStream stream (nats only)
 * @param natsReplicas the stream's replicas (nats only)
 * @param kafkaServers bootstrap servers (kafka only)
 * @param topic the change topic; its positions topic is {@code TOPIC.positions} (kafka only)
 * @param replicationFactor the topics' replication factor, null for the brokers' default
 * @param partitions the change topic's partitions (kafka only)
 * @param pgHost the database host as the pods reach it (postgres only)
 * @param pgPort its port
 * @param pgDatabase the database holding the schema {@link #POSTGRES_SCHEMA}
 */
public record ChangeLogTarget(
    LogBackend backend,
    String natsUrl,
    String stream,
    int natsReplicas,
    String kafkaServers,
    String topic,
    Integer replicationFactor,
    int partitions,
    String pgHost,
    int pgPort,
    String pgDatabase) {

  /** The schema of the PostgreSQL-tables backend, in the pipeline's own database. */
  public static final String POSTGRES_SCHEMA = "pgtrickle_changelog";

  static ChangeLogTarget of(
      LogBackend backend,
      String name,
      String namespace,
      String host,
      int port,
      String database,
      NatsSpec nats,
      KafkaSpec kafka) {
    return switch (backend) {
      case NATS ->
          new ChangeLogTarget(
              backend,
              nats.getUrl(),
              nats.getStream() != null ? nats.getStream() : "pgtrickle-" + namespace + "-" + name,
              nats.getReplicas() == null ? 1 : nats.getReplicas(),
              null,
              null,
              null,
              0,
              null,
              0,
              null);
      case KAFKA ->
          new ChangeLogTarget(
              backend,
              null,
              null,
              0,
              kafka.getBootstrapServers(),
              (kafka.getTopicPrefix() != null
                      ? kafka.getTopicPrefix()
                      : "pgtrickle." + namespace + "." + name)
                  + ".changes",
              kafka.getReplicationFactor(),
              kafka.getPartitions() == null ? 8 : kafka.getPartitions(),
              null,
              0,
              null);
      case POSTGRES ->
          new ChangeLogTarget(backend, null, null, 0, null, null, null, 0, host, port, database);
      case WAL ->
          throw new IllegalArgumentException(
              "spec.cdc.logBackend: wal is not supported by a StreamTableCluster");
    };
  }

  /**
   * The URI the programs get. It carries no number of copies (NATS {@code replicas}, Kafka {@code
   * replicationFactor}): the operator creates the stream or topics and changes their copies ({@link
   * #settingsUri}), so a pod that starts with an older spec never turns them back, and a change
   * restarts no pod. For the PostgreSQL backend it carries no credentials: the cdc-consumer and the
   * worker add their own database user and password from the Secret, percent-encoded ({@code
   * ChangeLogConfig.withCredentials}), so no secret value is in a pod spec and a password may hold
   * any character (a {@code $(VAR)} reference here was substituted raw by the kubelet, and {@code
   * &}, {@code %}, {@code +} or {@code #} in it broke the URI).
   *
   * @return the change-log URI
   */
  public String uri() {
    return switch (backend) {
      case NATS -> natsUrl + "?stream=" + stream;
      case KAFKA -> "kafka://" + kafkaServers + "?topic=" + topic + "&partitions=" + partitions;
      case POSTGRES ->
          "postgresql://"
              + pgHost
              + ":"
              + pgPort
              + "/"
              + DatabaseUrls.segment(pgDatabase)
              + "?schema="
              + POSTGRES_SCHEMA;
      case WAL -> throw new IllegalStateException("wal is refused by the CRD");
    };
  }

  /**
   * The URI with every setting the change log is made with: the programs' ({@link #uri}) and the
   * number of copies, which the change log is then changed to (change-log/README.md): for NATS
   * {@code replicas}, for Kafka {@code replicationFactor} when the spec gives one.
   */
  public String settingsUri() {
    return switch (backend) {
      case NATS -> uri() + "&replicas=" + natsReplicas;
      case KAFKA ->
          replicationFactor == null ? uri() : uri() + "&replicationFactor=" + replicationFactor;
      default -> uri();
    };
  }

  /** The Kafka topic holding the consumers' positions, beside the change topic. */
  public String positionsTopic() {
    return topic + ".positions";
  }

  /** The NATS key-value bucket holding acknowledgments inside messages, beside the stream. */
  public String acksBucket() {
    return stream + "-acks";
  }

  /** What and where the change log is, for the status and Events. */
  public String describe() {
    return switch (backend) {
      case NATS -> "NATS stream " + stream + " at " + natsUrl;
      case KAFKA -> "Kafka topics " + topic + " and " + positionsTopic();
      case POSTGRES -> "schema " + POSTGRES_SCHEMA + " in database " + pgDatabase;
      case WAL -> "local WAL files";
    };
  }
}
