package io.pgtrickle.changelog.nats;

import static io.pgtrickle.changelog.support.TestEvents.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.nats.client.Connection;
import io.nats.client.Nats;
import io.nats.client.api.ConsumerInfo;
import io.pgtrickle.changelog.ChangeEvent;
import io.pgtrickle.changelog.ChangeLogBackend;
import io.pgtrickle.changelog.ChangeLogBackends;
import io.pgtrickle.changelog.Lsn;
import io.pgtrickle.changelog.support.NatsServer;
import io.pgtrickle.changelog.support.TestEvents;
import io.pgtrickle.changelog.support.ThrottledProxy;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A reader whose messages arrive slowly (a loaded machine, a slow link; here a proxy that passes
 * the server's bytes at 2 MB/s, so one fetch of 4 MB takes two seconds): every event must arrive,
 * in order and without a gap, and nothing may be acknowledged unread.
 */
class NatsSlowDeliveryIT {

  private static final long SOURCE = 7001;
  private static final int EVENTS = 10_000; // about 10 MB in frames of 100 events

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

  @Test
  void everyEventArrivesInOrderWhenDeliveryIsSlowerThanAFetchWaits() throws Exception {
    try (ChangeLogBackend log = ChangeLogBackends.open(server.uri("stream=slow&consumer=p"))) {
      for (long lsn = 1; lsn <= EVENTS; lsn += 100) {
        List<ChangeEvent> batch = new ArrayList<>(100);
        for (long l = lsn; l < lsn + 100 && l <= EVENTS; l++) {
          batch.add(TestEvents.sized(SOURCE, l, 1024));
        }
        await(log.publish(SOURCE, batch));
      }
    }
    long next = 1;
    try (ThrottledProxy proxy = new ThrottledProxy(server.port(), 2_000_000);
        ChangeLogBackend log =
            ChangeLogBackends.open(
                "nats://127.0.0.1:"
                    + proxy.port()
                    + "?stream=slow&batch=1000&pollMs=20&consumer=r")) {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (next <= EVENTS && System.nanoTime() < deadline) {
        List<ChangeEvent> batch = await(log.consume(SOURCE, Lsn.ZERO));
        for (ChangeEvent e : batch) {
          if (!e.lsn().equals(Lsn.of(next))) {
            fail("after LSN %d came %s; %s", next - 1, e.lsn(), consumer());
          }
          next++;
        }
        if (!batch.isEmpty()) {
          await(log.acknowledge(SOURCE, batch.get(batch.size() - 1).lsn()));
        }
      }
    }
    assertThat(next - 1).as("events read; %s", consumer()).isEqualTo(EVENTS);
  }

  /** The durable consumer's state, for failure messages. */
  private static String consumer() {
    try (Connection nc = Nats.connect("nats://127.0.0.1:" + server.port())) {
      ConsumerInfo info = nc.jetStreamManagement().getConsumerInfo("slow", "r-" + SOURCE);
      return String.format(
          "consumer: delivered stream seq %d, ack floor stream seq %d, num_pending %d,"
              + " num_ack_pending %d, num_redelivered %d",
          info.getDelivered().getStreamSequence(),
          info.getAckFloor().getStreamSequence(),
          info.getNumPending(),
          info.getNumAckPending(),
          info.getRedelivered());
    } catch (Exception e) {
      return "consumer info unavailable: " + e;
    }
  }
}
