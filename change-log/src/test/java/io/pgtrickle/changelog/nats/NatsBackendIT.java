package io.pgtrickle.changelog.nats;

import static io.pgtrickle.changelog.support.TestEvents.await;
import static io.pgtrickle.changelog.support.TestEvents.drain;
import static io.pgtrickle.changelog.support.TestEvents.drainQuiet;
import static io.pgtrickle.changelog.support.TestEvents.longs;
import static io.pgtrickle.changelog.support.TestEvents.lsns;
import static io.pgtrickle.changelog.support.TestEvents.range;
import static org.assertj.core.api.Assertions.assertThat;

import io.nats.client.Connection;
import io.nats.client.Nats;
import io.pgtrickle.changelog.ChangeEventCodec;
import io.pgtrickle.changelog.ChangeLogBackend;
import io.pgtrickle.changelog.ChangeLogBackendConformance;
import io.pgtrickle.changelog.Lsn;
import io.pgtrickle.changelog.support.NatsServer;
import io.pgtrickle.changelog.support.ServerProcess;
import io.pgtrickle.changelog.support.TestEvents;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The conformance suite against {@code nats-server -js}, plus dedup beyond the window. */
class NatsBackendIT extends ChangeLogBackendConformance {

  private static NatsServer server;

  @BeforeAll
  static void startServer() {
    server = NatsServer.start();
  }

  @AfterAll
  static void stopServer() {
    if (server != null) {
      server.close();
    }
  }

  @Override
  protected String uri(String namespace, String consumer) {
    return server.uri("stream=" + namespace + "&consumer=" + consumer + "&pollMs=50");
  }

  @Override
  protected void restartServer() {
    server.restart();
  }

  @Override
  protected Map<String, String> badConfigurations() {
    int closed = ServerProcess.freePort();
    return Map.of(
        "nats://127.0.0.1:" + closed + "?stream=s",
        "uri",
        server.uri("stream=bad.name"),
        "stream",
        server.uri("stream=ok&subjectPrefix=a.*"),
        "subjectPrefix",
        server.uri("stream=ok&dedupWindowS=0"),
        "dedupWindowS",
        server.uri("stream=ok&bogus=1"),
        "bogus");
  }

  @Test
  void aRepublishLaterThanTheDedupWindowIsStillDroppedByTheConsumer() throws Exception {
    ChangeLogBackend b = open("worker");
    await(b.publish(21, range(21, 1, 5)));
    // What a publisher repeating itself after the window looks like: no message id JetStream knows.
    try (Connection raw = Nats.connect("nats://127.0.0.1:" + server.port())) {
      String subject = "pgtrickle.changes." + namespace + ".21";
      for (long l = 3; l <= 5; l++) {
        raw.jetStream().publish(subject, ChangeEventCodec.encode(TestEvents.event(21, l)));
      }
    }
    await(b.publish(21, range(21, 6, 6)));
    assertThat(lsns(drain(b, 21, Lsn.ZERO, 6))).isEqualTo(longs(1, 6));
    assertThat(drainQuiet(b, 21)).isEmpty();
    await(b.acknowledge(21, Lsn.of(6)));
    assertThat(await(b.lag(21))).isZero();
  }
}
