package io.pgtrickle.changelog.nats;

import static io.pgtrickle.changelog.support.TestEvents.await;
import static io.pgtrickle.changelog.support.TestEvents.drain;
import static io.pgtrickle.changelog.support.TestEvents.drainQuiet;
import static io.pgtrickle.changelog.support.TestEvents.longs;
import static io.pgtrickle.changelog.support.TestEvents.lsns;
import static io.pgtrickle.changelog.support.TestEvents.range;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.nats.client.Connection;
import io.nats.client.JetStreamManagement;
import io.nats.client.Nats;
import io.nats.client.PublishOptions;
import io.nats.client.api.MessageInfo;
import io.nats.client.impl.Headers;
import io.pgtrickle.changelog.ChangeEvent;
import io.pgtrickle.changelog.ChangeEventCodec;
import io.pgtrickle.changelog.ChangeLogBackend;
import io.pgtrickle.changelog.ChangeLogBackendConformance;
import io.pgtrickle.changelog.ChangeLogBackends;
import io.pgtrickle.changelog.ChangeLogConfigException;
import io.pgtrickle.changelog.Lsn;
import io.pgtrickle.changelog.support.NatsServer;
import io.pgtrickle.changelog.support.ServerProcess;
import io.pgtrickle.changelog.support.TestEvents;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The conformance suite against {@code nats-server -js}, plus dedup beyond the window and the
 * framing: several events per message, replayed and overlapping messages, acknowledgments that end
 * inside a message.
 */
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
        "bogus",
        // The path would be ignored: the stream is a parameter.
        server.uri("stream=ok").replace("?", "/mystream?"),
        "uri");
  }

  /**
   * dedupWindowS is a stream's creation setting: a different one is refused. replicas may change
   * (NatsReplicasIT), but a lone server keeps one copy: JetStream's refusal names replicas.
   */
  @Test
  void creationSettingsThatDifferFromTheExistingStreamAreRefused() {
    open("worker");
    assertThatThrownBy(() -> open("w2&dedupWindowS=60"))
        .isInstanceOf(ChangeLogConfigException.class)
        .satisfies(
            e -> assertThat(((ChangeLogConfigException) e).setting()).isEqualTo("dedupWindowS"))
        .hasMessageContaining("set when the stream is created");
    assertThatThrownBy(() -> open("w2&replicas=3"))
        .isInstanceOf(ChangeLogConfigException.class)
        .satisfies(e -> assertThat(((ChangeLogConfigException) e).setting()).isEqualTo("replicas"))
        .hasMessageContaining("3 asked, but NATS server")
        .hasMessageContaining("is not in a cluster")
        .hasMessageContaining("NATS cluster");
    open("w3&dedupWindowS=120&replicas=1").close(); // the same values are fine
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

  private String subject(long source) {
    return "pgtrickle.changes." + namespace + "." + source;
  }

  private long storedMessages(Connection raw) throws Exception {
    return raw.jetStreamManagement().getStreamInfo(namespace).getStreamState().getMsgCount();
  }

  @Test
  void aReplayedMultiEventMessageIsDeliveredOnce() throws Exception {
    ChangeLogBackend b = open("worker");
    await(b.publish(22, range(22, 1, 10))); // one message of ten events
    try (Connection raw = Nats.connect("nats://127.0.0.1:" + server.port())) {
      JetStreamManagement jsm = raw.jetStreamManagement();
      MessageInfo stored = jsm.getLastMessage(namespace, subject(22));
      assertThat(stored.getHeaders().getFirst(NatsFrames.EVENTS)).isEqualTo("10");
      Headers frameHeaders = new Headers();
      for (String key : stored.getHeaders().keySet()) {
        if (key.startsWith("Pgtrickle-")) { // not the stored Nats-Msg-Id and expectations
          frameHeaders.put(key, stored.getHeaders().get(key));
        }
      }
      // The same message again with its id (a publisher that lost the acknowledgment): JetStream
      // drops it.
      PublishOptions sameId = PublishOptions.builder().messageId("22/0/1-0/A").build();
      assertThat(
              raw.jetStream()
                  .publish(subject(22), frameHeaders, stored.getData(), sameId)
                  .isDuplicate())
          .isTrue();
      // The same message later than the duplicate window (no id JetStream knows), and a frame that
      // overlaps it and adds two new events: stored, and the reader filters them event by event.
      raw.jetStream().publish(subject(22), frameHeaders, stored.getData());
      NatsFrames.Frame overlapping = NatsFrames.split(range(22, 5, 12), 4, 1 << 20, 1000).get(0);
      raw.jetStream().publish(subject(22), overlapping.headers(), overlapping.payload());
      assertThat(storedMessages(raw)).isEqualTo(3);
      // The backend's publisher finds the subject changed under it, reads the tail again and sends
      // only what is new.
      await(b.publish(22, range(22, 1, 14)));
      assertThat(storedMessages(raw)).isEqualTo(4);
      assertThat(
              jsm.getLastMessage(namespace, subject(22))
                  .getHeaders()
                  .getFirst(NatsFrames.FIRST_LSN))
          .isEqualTo(Lsn.of(13).toString());
    }
    assertThat(lsns(drain(b, 22, Lsn.ZERO, 14))).isEqualTo(longs(1, 14));
    assertThat(drainQuiet(b, 22)).isEmpty();
    await(b.acknowledge(22, Lsn.of(7))); // inside the first message
    close(b);

    ChangeLogBackend again = open("worker");
    assertThat(lsns(drain(again, 22, Lsn.ZERO, 7))).isEqualTo(longs(8, 14));
    assertThat(drainQuiet(again, 22)).isEmpty();
    await(again.acknowledge(22, Lsn.of(14)));
    assertThat(await(again.lag(22))).isZero();
    close(again);
    assertThat(drainQuiet(open("worker"), 22)).isEmpty();
  }

  @Test
  void aBatchSpansSeveralMessagesAndAcknowledgmentsMayEndInsideOne() throws Exception {
    String uri =
        server.uri("stream=" + namespace + "&consumer=worker&pollMs=50&eventsPerMessage=4&batch=3");
    try (ChangeLogBackend first = ChangeLogBackends.open(uri);
        Connection raw = Nats.connect("nats://127.0.0.1:" + server.port())) {
      await(first.publish(23, range(23, 1, 10)));
      assertThat(storedMessages(raw)).as("frames of 4, 4 and 2 events").isEqualTo(3);
      await(first.publish(23, range(23, 1, 10)));
      assertThat(storedMessages(raw)).as("a re-publish sends nothing").isEqualTo(3);
      List<ChangeEvent> batch = await(first.consume(23, Lsn.ZERO));
      assertThat(lsns(batch)).isEqualTo(longs(1, 3));
      assertThat(lsns(drain(first, 23, Lsn.ZERO, 7))).isEqualTo(longs(4, 10));
      await(first.acknowledge(23, Lsn.of(6)));
      assertThat(await(first.lag(23))).isEqualTo(4);
    }
    try (ChangeLogBackend second = ChangeLogBackends.open(uri)) {
      assertThat(await(second.lag(23))).isEqualTo(4);
      assertThat(lsns(drain(second, 23, Lsn.ZERO, 4))).isEqualTo(longs(7, 10));
      assertThat(drainQuiet(second, 23)).isEmpty();
      await(second.acknowledge(23, Lsn.of(8))); // the end of the second message
      assertThat(await(second.lag(23))).isEqualTo(2);
      await(second.publish(23, range(23, 11, 12)));
      assertThat(await(second.lag(23))).isEqualTo(4);
    }
    try (ChangeLogBackend third = ChangeLogBackends.open(uri)) {
      assertThat(lsns(drain(third, 23, Lsn.ZERO, 4))).isEqualTo(longs(9, 12));
      await(third.acknowledge(23, Lsn.of(12)));
      assertThat(await(third.lag(23))).isZero();
    }
  }
}
