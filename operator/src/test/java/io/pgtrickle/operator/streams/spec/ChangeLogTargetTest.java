package io.pgtrickle.operator.streams.spec;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ChangeLogTargetTest {

  @Test
  void postgresUsesTheSameDatabaseWithoutCredentials() {
    ChangeLogTarget t = Pipelines.settings(Pipelines.REF).changeLog();
    assertThat(t.uri()).isEqualTo("postgresql://db-primary:5432/app?schema=pgtrickle_changelog");
    assertThat(t.describe()).isEqualTo("schema pgtrickle_changelog in database app");
  }

  @Test
  void natsGetsAStreamOfItsOwnUnlessOneIsNamed() {
    ChangeLogTarget t = Pipelines.settings(Pipelines.NATS).changeLog();
    assertThat(t.stream()).isEqualTo("pgtrickle-prod-orders");
    // The programs' URI has no replicas: the operator sets them on the stream.
    assertThat(t.uri()).isEqualTo("nats://nats:4222?stream=pgtrickle-prod-orders");
    assertThat(t.settingsUri())
        .isEqualTo("nats://nats:4222?stream=pgtrickle-prod-orders&replicas=3");
    assertThat(t.acksBucket()).isEqualTo("pgtrickle-prod-orders-acks");
  }

  @Test
  void kafkaTopicsFollowThePrefixWithTheirReplication() {
    ChangeLogTarget t =
        Pipelines.settings(
                "{postgresql: {clusterRef: {name: db}, database: app}, workers: {max: 2}, cdc:"
                    + " {logBackend: kafka}, kafka: {bootstrapServers: 'k:9092', topicPrefix:"
                    + " pgt, replicationFactor: 3}}")
            .changeLog();
    assertThat(t.topic()).isEqualTo("pgt.changes");
    assertThat(t.positionsTopic()).isEqualTo("pgt.changes.positions");
    assertThat(t.uri())
        .as("the programs' URI: no number of copies, which only the operator sets")
        .isEqualTo("kafka://k:9092?topic=pgt.changes&partitions=8");
    assertThat(t.settingsUri())
        .isEqualTo("kafka://k:9092?topic=pgt.changes&partitions=8&replicationFactor=3");
  }
}
