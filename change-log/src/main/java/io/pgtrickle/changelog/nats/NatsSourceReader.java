package io.pgtrickle.changelog.nats;

import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.JetStreamSubscription;
import io.nats.client.KeyValue;
import io.nats.client.Message;
import io.nats.client.PullRequestOptions;
import io.nats.client.PullSubscribeOptions;
import io.nats.client.api.AckPolicy;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.ConsumerInfo;
import io.nats.client.api.DeliverPolicy;
import io.nats.client.api.KeyValueEntry;
import io.nats.client.api.MessageInfo;
import io.pgtrickle.changelog.ChangeEvent;
import io.pgtrickle.changelog.Lsn;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * One source as seen by one named consumer: a durable pull consumer filtered on the source's
 * subject, with cumulative acknowledgment ({@code AckPolicy.All}: acknowledging a message
 * acknowledges every earlier one). A message is a frame of events ({@link NatsFrames}); the reader
 * unpacks it and hands out events, at most {@code batch} per call.
 *
 * <p>A message is acknowledged in JetStream once {@code acknowledge(upTo)} covers its last event.
 * An acknowledgment that ends inside a message is stored in the positions key-value bucket (key:
 * the durable name, value: position and subject total), and a new instance starts after the larger
 * of the two, so acknowledged events never come again however messages were cut.
 *
 * <p>JetStream drops a re-published message only within the stream's duplicate window, so this
 * reader also drops any event whose position is not above the highest it has seen: idempotence
 * holds however late a publisher repeats itself. Messages holding only such events stay pending and
 * are acknowledged together with the next real acknowledgment.
 *
 * <p>Messages are pulled through one subscription that lives as long as the reader. A pull's
 * messages that arrive after the reader stopped waiting for them (a loaded machine or a slow link
 * can take longer than {@link #PULL_WAIT} for one pull) stay queued in it and are read by the next
 * call. A fetch that unsubscribes when its wait ends (jnats' {@code FetchConsumer}) loses them: the
 * server counts them delivered, and the next acknowledgment ({@code AckPolicy.All}) acknowledges
 * them unread. {@code NatsSlowDeliveryIT} shows that.
 *
 * <p>Not thread-safe; {@link NatsBackend} serialises calls per source.
 */
final class NatsSourceReader {

  /** Fetched messages are bounded by bytes too, so large frames do not pile up in memory. */
  private static final int FETCH_MAX_BYTES = 4 * NatsFrames.MAX_FRAME_BYTES;

  private static final int NO_MESSAGE_FOUND = 10037;

  /** The longest one call waits for a pull's next message (later ones are read later). */
  private static final Duration PULL_WAIT = Duration.ofSeconds(1);

  /**
   * A pull that is not complete and brought no message for this long is taken as lost (the
   * connection was re-established meanwhile, or the server completed it without a status at exactly
   * its byte limit) and a new one is sent. That is always safe: should the old one still deliver,
   * its messages come in stream order before the new one's, into the same subscription.
   */
  private static final long PULL_GIVE_UP_NANOS = Duration.ofSeconds(5).toNanos();

  /** A fetched message not yet acknowledged in JetStream. */
  private record Pending(Message message, Lsn first, Lsn last, List<Lsn> positions, long total) {

    boolean skipped() {
      return first == null; // none of its events was new
    }

    /** The subject total at {@code upTo}, inside this message; -1 if unknown. */
    long totalAt(Lsn upTo) {
      if (total < 0) {
        return -1;
      }
      long after = positions.stream().filter(p -> p.isAfter(upTo)).count();
      return total - after;
    }
  }

  private final JetStreamManagement jsm;
  private final KeyValue positions;
  private final String stream;
  private final String durable;
  private final Duration ackWait;
  private final Deque<Pending> pending = new ArrayDeque<>();
  private final Deque<ChangeEvent> buffered = new ArrayDeque<>();
  private String subject;
  private JetStreamSubscription subscription;
  private boolean pullOpen; // the last pull may still deliver messages
  private long pullSentAt;
  private int pullMessagesLeft;
  private long pullBytesLeft;
  private Lsn delivered = Lsn.ZERO; // highest position handed out (or acknowledged)
  private Lsn seen = Lsn.ZERO; // highest position unpacked into the buffer
  private Lsn acknowledged = Lsn.ZERO;
  private long acknowledgedTotal;
  private long lastSequence;

  NatsSourceReader(
      JetStreamManagement jsm,
      KeyValue positions,
      String stream,
      String durable,
      Duration ackWait) {
    this.jsm = jsm;
    this.positions = positions;
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
    this.subject = subject;
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
    NatsFrames.Summary atFloor =
        floor > 0 ? summaryAt(floor) : new NatsFrames.Summary(Lsn.ZERO, 0, 0);
    acknowledged = atFloor.last();
    acknowledgedTotal = atFloor.total();
    KeyValueEntry inside = positions.get(durable);
    if (inside != null && inside.getValue() != null) {
      String[] stored = new String(inside.getValue(), StandardCharsets.UTF_8).split(" ");
      Lsn lsn = Lsn.parse(stored[0]);
      if (lsn.isAfter(acknowledged)) {
        acknowledged = lsn;
        acknowledgedTotal = Long.parseLong(stored[1]);
      }
    }
    delivered = acknowledged;
    seen = acknowledged;
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
    subscription =
        connection.jetStream().subscribe(subject, PullSubscribeOptions.bind(stream, durable));
    // Pulls bound what is in flight; a limit here would drop messages the server counts delivered.
    subscription.setPendingLimits(-1, -1);
  }

  private NatsFrames.Summary summaryAt(long sequence) throws Exception {
    try {
      MessageInfo message = jsm.getMessage(stream, sequence);
      return NatsFrames.summary(message.getHeaders(), message.getData());
    } catch (JetStreamApiException e) {
      // The acknowledged message was removed by the stream's limits; everything up to it is
      // acknowledged anyway, and only a very late duplicate could slip through.
      return new NatsFrames.Summary(Lsn.ZERO, 0, -1);
    }
  }

  List<ChangeEvent> consume(Lsn from, int batch, Duration wait) throws Exception {
    List<ChangeEvent> out = new ArrayList<>();
    // No-wait pulls return at once with what is there; JetStream's own waiting pull has a floor
    // of one second, too coarse for pollMs, so an empty answer is retried until pollMs.
    long deadline = System.nanoTime() + wait.toNanos();
    while (true) {
      takeBuffered(from, batch, out);
      if (out.size() >= batch) {
        break;
      }
      if (fetchIntoBuffer(batch) > 0) {
        continue;
      }
      if (!out.isEmpty() || System.nanoTime() >= deadline) {
        break;
      }
      Thread.sleep(Math.max(1, Math.min(20, (deadline - System.nanoTime()) / 1_000_000)));
    }
    if (out.isEmpty()
        && buffered.isEmpty()
        && !pending.isEmpty()
        && pending.stream().allMatch(Pending::skipped)) {
      // Only duplicates are pending: acknowledge them so they do not count as lag.
      ackThrough(pending.peekLast());
      pending.clear();
    }
    return out;
  }

  private void takeBuffered(Lsn from, int batch, List<ChangeEvent> out) {
    while (out.size() < batch && !buffered.isEmpty()) {
      ChangeEvent event = buffered.pollFirst();
      if (event.lsn().isAfter(delivered) && event.lsn().compareTo(from) >= 0) {
        delivered = event.lsn();
        out.add(event);
      }
    }
  }

  /**
   * Reads the open pull's messages, sending a new no-wait pull (at most {@code batch} messages and
   * {@link #FETCH_MAX_BYTES}) first if none is open. Stops when the pull is complete (its counts
   * are reached, or the server ended it with a status: no more messages, the next one too large) or
   * after {@link #PULL_WAIT} without a message; the pull then stays open and its remaining messages
   * are read by the next call.
   *
   * @return the number of messages read
   */
  private int fetchIntoBuffer(int batch) throws Exception {
    if (!pullOpen || System.nanoTime() - pullSentAt > PULL_GIVE_UP_NANOS) {
      subscription.pull(
          PullRequestOptions.builder(batch).maxBytes(FETCH_MAX_BYTES).noWait().build());
      pullOpen = true;
      pullSentAt = System.nanoTime();
      pullMessagesLeft = batch;
      pullBytesLeft = FETCH_MAX_BYTES;
    }
    int fetched = 0;
    while (pullOpen) {
      long waitStart = System.nanoTime();
      Message m = subscription.nextMessage(PULL_WAIT);
      if (m == null) {
        // null before the wait is over: a status ended the pull. Otherwise it is still on its way.
        pullOpen = System.nanoTime() - waitStart >= PULL_WAIT.toNanos();
        break;
      }
      pullSentAt = System.nanoTime(); // answering: not lost
      pullMessagesLeft--;
      pullBytesLeft -= m.consumeByteCount();
      pullOpen = pullMessagesLeft > 0 && pullBytesLeft > 0;
      fetched++;
      long sequence = m.metaData().streamSequence();
      if (sequence <= lastSequence) {
        continue; // redelivered after the ack wait while still pending here: already handled
      }
      lastSequence = sequence;
      List<ChangeEvent> events = NatsFrames.unpack(m.getData());
      List<Lsn> lsns = new ArrayList<>(events.size());
      Lsn first = null;
      for (ChangeEvent event : events) {
        lsns.add(event.lsn());
        if (event.lsn().isAfter(seen)) {
          seen = event.lsn();
          first = first == null ? event.lsn() : first;
          buffered.addLast(event);
        }
      }
      long total = NatsFrames.summary(m.getHeaders(), m.getData()).total();
      pending.add(new Pending(m, first, lsns.get(lsns.size() - 1), lsns, total));
    }
    return fetched;
  }

  void acknowledge(Lsn upTo) throws Exception {
    Pending last = null;
    while (!pending.isEmpty()
        && (pending.peekFirst().skipped() || !pending.peekFirst().last().isAfter(upTo))) {
      last = pending.pollFirst();
    }
    if (last != null) {
      ackThrough(last);
      if (last.total() >= 0) {
        acknowledgedTotal = Math.max(acknowledgedTotal, last.total());
      }
    }
    Pending inside = pending.peekFirst();
    if (inside != null && !inside.first().isAfter(upTo) && upTo.isAfter(acknowledged)) {
      // The acknowledgment ends inside a message: JetStream cannot hold that, the bucket can.
      long total = inside.totalAt(upTo);
      positions.put(durable, (upTo + " " + total).getBytes(StandardCharsets.UTF_8));
      acknowledgedTotal = total;
    }
    acknowledged = Lsn.max(acknowledged, upTo);
    delivered = Lsn.max(delivered, upTo);
  }

  private void ackThrough(Pending p) throws Exception {
    // ackSync waits for the server's confirmation: the position is then stored in the stream.
    p.message().ackSync(Duration.ofSeconds(10));
  }

  long lag() throws Exception {
    ConsumerInfo info = jsm.getConsumerInfo(stream, durable);
    long messages = info.getNumPending() + info.getNumAckPending();
    if (messages == 0) {
      return 0;
    }
    long total = -1;
    try {
      MessageInfo last = jsm.getLastMessage(stream, subject);
      total = NatsFrames.summary(last.getHeaders(), last.getData()).total();
    } catch (JetStreamApiException e) {
      if (e.getApiErrorCode() != NO_MESSAGE_FOUND) {
        throw e;
      }
    }
    if (total < 0 || acknowledgedTotal < 0) {
      return messages; // messages of the format before frames: one event each
    }
    return Math.max(0, total - acknowledgedTotal);
  }
}
