package io.pgtrickle.changelog.kafka;

import static io.pgtrickle.changelog.support.TestEvents.await;
import static io.pgtrickle.changelog.support.TestEvents.drain;
import static io.pgtrickle.changelog.support.TestEvents.drainQuiet;
import static io.pgtrickle.changelog.support.TestEvents.longs;
import static io.pgtrickle.changelog.support.TestEvents.lsns;
import static io.pgtrickle.changelog.support.TestEvents.range;
import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.changelog.ChangeLogBackend;
import io.pgtrickle.changelog.ChangeLogBackendConformance;
import io.pgtrickle.changelog.Lsn;
import io.pgtrickle.changelog.support.KafkaServer;
import io.pgtrickle.changelog.support.ServerProcess;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The conformance suite against a KRaft broker in its own JVM, plus shared partitions. */
class KafkaBackendIT extends ChangeLogBackendConformance {

  private static KafkaServer server;

  @BeforeAll
  static void startServer() {
    server = KafkaServer.start();
  }

  @AfterAll
  static void stopServer() {
    if (server != null) {
      server.close();
    }
  }

  @Override
  protected String uri(String namespace, String consumer) {
    return server.uri("topic=" + namespace + "&partitions=3&consumer=" + consumer + "&pollMs=100");
  }

  @Override
  protected void restartServer() {
    server.restart();
  }

  @Override
  protected Map<String, String> badConfigurations() {
    int closed = ServerProcess.freePort();
    return Map.of(
        "kafka://127.0.0.1:" + closed + "?topic=t",
        "uri",
        server.uri("topic=bad/name"),
        "topic",
        server.uri("topic=ok&partitions=0"),
        "partitions",
        server.uri("topic=ok&partiton=2"),
        "partiton",
        server.uri("topic=ok&kafka.acks=1"),
        "kafka.acks",
        server.uri("topic=ok&kafka.enable.auto.commit=true"),
        "kafka.enable.auto.commit",
        // The path would be ignored: the topic is a parameter.
        server.uri("partitions=1").replace("?", "/mytopic?"),
        "uri");
  }

  @Test
  void sourcesSharingAPartitionAreReadIndependentlyWithBoundedBuffers() {
    String uri =
        server.uri("topic=" + namespace + "&partitions=1&maxBuffered=100&consumer=w&pollMs=100");
    try (ChangeLogBackend b = io.pgtrickle.changelog.ChangeLogBackends.open(uri)) {
      await(b.publish(31, range(31, 1, 400)));
      await(b.publish(32, range(32, 1, 3)));
      // Source 32 sits behind 400 events of source 31 in the only partition.
      assertThat(lsns(drain(b, 32, Lsn.ZERO, 3))).isEqualTo(longs(1, 3));
      await(b.acknowledge(32, Lsn.of(3)));
      assertThat(await(b.lag(31))).isEqualTo(400);
      assertThat(lsns(drain(b, 31, Lsn.ZERO, 400))).isEqualTo(longs(1, 400));
      assertThat(drainQuiet(b, 32)).isEmpty();
    }
    try (ChangeLogBackend again = io.pgtrickle.changelog.ChangeLogBackends.open(uri)) {
      assertThat(lsns(drain(again, 31, Lsn.ZERO, 400))).isEqualTo(longs(1, 400));
      assertThat(drainQuiet(again, 32)).as("acknowledged before the restart").isEmpty();
    }
  }
}
