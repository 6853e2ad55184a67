package io.pgtrickle.changelog.nats;

import io.nats.client.ConsumerContext;
import io.nats.client.FetchConsumeOptions;
import io.nats.client.FetchConsumer;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.Message;
import io.nats.client.api.AckPolicy;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.ConsumerInfo;
import io.nats.client.api.DeliverPolicy;
import io.pgtrickle.changelog.ChangeEvent;
import io.pgtrickle.changelog.ChangeEventCodec;
import io.pgtrickle.changelog.Lsn;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * One source as seen by one named consumer: a durable pull consumer filtered on the source's
 * subject, with cumulative acknowledgment ({@code AckPolicy.All}: acknowledging a message
 * acknowledges every earlier one, exactly like {@code acknowledge(upTo)}).
 *
 * <p>JetStream drops a re-published message only within the stream's duplicate window, so this
 * reader also drops any message whose LSN is not above the highest LSN it delivered: idempotence
 * holds however late a publisher repeats itself. Dropped messages stay in the pending list and are
 * acknowledged together with the next real acknowledgment.
 *
 * <p>Not thread-safe; {@link NatsBackend} serialises calls per source.
 */
final class NatsSourceReader {

  private record Pending(Message message, long streamSequence, Lsn lsn, boolean skipped) {}

  private final JetStreamManagement jsm;
  private final String stream;
  private final String durable;
  private final Duration ackWait;
  private final Deque<Pending> pending = new ArrayDeque<>();
  private ConsumerContext context;
  private Lsn delivered = Lsn.ZERO;
  private long lastSequence;

  NatsSourceReader(JetStreamManagement jsm, String stream, String durable, Duration ackWait) {
    this.jsm = jsm;
    this.stream = stream;
    this.durable = durable;
    this.ackWait = ackWait;
  }

  /**
   * Binds the durable consumer. It is re-created from its acknowledgment floor, so what a crashed
   * instance had fetched but not acknowledged is delivered again now rather than after the ack wait
   * expires; a consumer name is used by one instance at a time, so nobody else is reading.
   */
  void open(io.nats.client.Connection connection, String subject) throws Exception {
    long floor = 0;
    try {
      ConsumerInfo info = jsm.getConsumerInfo(stream, durable);
      floor = info.getAckFloor().getStreamSequence();
      jsm.deleteConsumer(stream, durable);
    } catch (JetStreamApiException e) {
      if (e.getApiErrorCode() != 10014) { // consumer not found: first use
        throw e;
      }
    }
    delivered = floor > 0 ? lsnAt(floor) : Lsn.ZERO;
    lastSequence = floor;
    ConsumerConfiguration.Builder config =
        ConsumerConfiguration.builder()
            .durable(durable)
            .filterSubject(subject)
            .ackPolicy(AckPolicy.All)
            .ackWait(ackWait)
            .maxAckPending(-1);
    if (floor > 0) {
      config.deliverPolicy(DeliverPolicy.ByStartSequence).startSequence(floor + 1);
    } else {
      config.deliverPolicy(DeliverPolicy.All);
    }
    jsm.addOrUpdateConsumer(stream, config.build());
    context = connection.getConsumerContext(stream, durable);
  }

  private Lsn lsnAt(long sequence) throws Exception {
    try {
      return ChangeEventCodec.decode(jsm.getMessage(stream, sequence).getData()).lsn();
    } catch (JetStreamApiException e) {
      // The acknowledged message was removed by the stream's limits; everything up to it is
      // acknowledged anyway, and only a very late duplicate could slip through.
      return Lsn.ZERO;
    }
  }

  List<ChangeEvent> consume(Lsn from, int batch, Duration wait) throws Exception {
    List<ChangeEvent> out = new ArrayList<>();
    // No-wait fetches return at once with what is there; JetStream's own waiting fetch has a
    // floor of one second, too coarse for pollMs, so an empty answer is retried until pollMs.
    FetchConsumeOptions options = FetchConsumeOptions.builder().maxMessages(batch).noWait().build();
    long deadline = System.nanoTime() + wait.toNanos();
    while (true) {
      int fetched = fetchInto(options, from, out);
      if (fetched > 0 || System.nanoTime() >= deadline) {
        break;
      }
      Thread.sleep(Math.max(1, Math.min(20, (deadline - System.nanoTime()) / 1_000_000)));
    }
    if (out.isEmpty() && !pending.isEmpty() && pending.stream().allMatch(Pending::skipped)) {
      // Only duplicates are pending: acknowledge them so they do not count as lag.
      ackThrough(pending.peekLast());
      pending.clear();
    }
    return out;
  }

  private int fetchInto(FetchConsumeOptions options, Lsn from, List<ChangeEvent> out)
      throws Exception {
    int fetched = 0;
    try (FetchConsumer fetch = context.fetch(options)) {
      Message m;
      while ((m = fetch.nextMessage()) != null) {
        fetched++;
        long sequence = m.metaData().streamSequence();
        if (sequence <= lastSequence) {
          continue; // redelivered after the ack wait while still pending here: already handled
        }
        lastSequence = sequence;
        ChangeEvent event = ChangeEventCodec.decode(m.getData());
        boolean fresh = event.lsn().isAfter(delivered) && event.lsn().compareTo(from) >= 0;
        if (fresh) {
          delivered = event.lsn();
          out.add(event);
        }
        pending.add(new Pending(m, sequence, event.lsn(), !fresh));
      }
    }
    return fetched;
  }

  void acknowledge(Lsn upTo) throws Exception {
    Pending last = null;
    while (!pending.isEmpty()
        && (pending.peekFirst().skipped() || !pending.peekFirst().lsn().isAfter(upTo))) {
      last = pending.pollFirst();
    }
    if (last != null) {
      ackThrough(last);
    }
    delivered = Lsn.max(delivered, upTo);
  }

  private void ackThrough(Pending p) throws Exception {
    // ackSync waits for the server's confirmation: the position is then stored in the stream.
    p.message().ackSync(Duration.ofSeconds(10));
  }

  long lag() throws Exception {
    ConsumerInfo info = jsm.getConsumerInfo(stream, durable);
    return info.getNumPending() + info.getNumAckPending();
  }
}
