package io.pgtrickle.changelog.nats;

import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.PublishOptions;
import io.nats.client.api.MessageInfo;
import io.nats.client.api.PublishAck;
import io.pgtrickle.changelog.ChangeEvent;
import io.pgtrickle.changelog.ChangeLogException;
import io.pgtrickle.changelog.Lsn;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;

/**
 * Publishes one source's events as frames ({@link NatsFrames}), one frame after another, each
 * waiting for JetStream's acknowledgment.
 *
 * <p>It remembers the subject's tail (stream sequence, last position, event total) and sends only
 * events after that position. Every frame carries {@code Nats-Expected-Last-Subject-Sequence}: if
 * anything else was appended to the subject meanwhile (another publisher, an acknowledgment lost in
 * a crash of the connection), JetStream refuses the frame, the tail is read again from the stream
 * and the events are filtered against it. So a re-publish after a crash sends only what is missing,
 * whatever the duplicate window, frames never leave a gap, and the totals stay exact. The message
 * id ({@link NatsFrames.Frame#messageId}) is a second guard for a frame that was stored but whose
 * acknowledgment was lost.
 *
 * <p>{@link NatsBackend} runs one publish per source at a time; the state is handed from one
 * acknowledgment callback to the next. Reading the tail blocks, so it runs on {@code blocking}.
 */
final class NatsSourcePublisher {

  private static final int WRONG_LAST_SEQUENCE = 10071;
  private static final int NO_MESSAGE_FOUND = 10037;
  private static final int MAX_RESTARTS = 3;

  private record Tail(long sequence, Lsn last, long total) {}

  private final JetStream jetStream;
  private final JetStreamManagement jsm;
  private final String stream;
  private final String subject;
  private final long sourceOid;
  private final int maxBytes;
  private final int maxEvents;
  private final Executor blocking;
  private volatile Tail tail; // null: unknown, read it from the stream
  private volatile long knownTotal;

  NatsSourcePublisher(
      JetStream jetStream,
      JetStreamManagement jsm,
      String stream,
      String subject,
      long sourceOid,
      int maxBytes,
      int maxEvents,
      Executor blocking) {
    this.jetStream = jetStream;
    this.jsm = jsm;
    this.stream = stream;
    this.subject = subject;
    this.sourceOid = sourceOid;
    this.maxBytes = maxBytes;
    this.maxEvents = maxEvents;
    this.blocking = blocking;
  }

  /**
   * Publishes the events after the subject's tail. Frames go out one after another without blocking
   * a thread: each is sent when the previous one's acknowledgment arrives.
   *
   * @return completes when every frame is stored
   */
  CompletableFuture<Void> publish(List<ChangeEvent> events) {
    return attempt(events, 0);
  }

  private CompletableFuture<Void> attempt(List<ChangeEvent> events, int restarts) {
    CompletableFuture<Void> tailKnown =
        tail != null
            ? CompletableFuture.completedFuture(null)
            : CompletableFuture.runAsync(
                () -> {
                  try {
                    tail = readTail();
                  } catch (Exception e) {
                    throw new CompletionException(e);
                  }
                },
                blocking);
    return tailKnown
        .thenCompose(
            ignored ->
                send(
                    NatsFrames.split(after(events, tail.last()), tail.total(), maxBytes, maxEvents),
                    0))
        .thenCompose(
            complete -> {
              if (complete) {
                return CompletableFuture.completedFuture(null);
              }
              if (restarts == MAX_RESTARTS) {
                throw new ChangeLogException(
                    "NATS publish to "
                        + subject
                        + ": the subject kept changing under this publisher");
              }
              // The tail is read again, which blocks: not on the thread that completed the ack.
              return CompletableFuture.supplyAsync(() -> attempt(events, restarts + 1), blocking)
                  .thenCompose(next -> next);
            });
  }

  /** Sends frames from {@code index} on; false when the tail turned out stale (start over). */
  private CompletableFuture<Boolean> send(List<NatsFrames.Frame> frames, int index) {
    if (index == frames.size()) {
      return CompletableFuture.completedFuture(true);
    }
    NatsFrames.Frame frame = frames.get(index);
    PublishOptions options =
        PublishOptions.builder()
            .expectedStream(stream)
            .messageId(frame.messageId(sourceOid))
            .expectedLastSubjectSequence(tail.sequence())
            .build();
    CompletableFuture<PublishAck> ack;
    try {
      ack = jetStream.publishAsync(subject, frame.headers(), frame.payload(), options);
    } catch (RuntimeException e) {
      tail = null;
      return CompletableFuture.failedFuture(e);
    }
    return ack.handle(
            (stored, error) -> {
              if (error != null) {
                tail = null; // the frame may or may not be stored
                if (apiErrorCode(error) == WRONG_LAST_SEQUENCE) {
                  return false;
                }
                throw error instanceof CompletionException c ? c : new CompletionException(error);
              }
              if (stored.isDuplicate()) {
                tail = null; // stored before, by a publish whose acknowledgment was lost
                return false;
              }
              tail = new Tail(stored.getSeqno(), frame.last(), frame.total());
              knownTotal = frame.total();
              return true;
            })
        .thenCompose(
            sent -> sent ? send(frames, index + 1) : CompletableFuture.completedFuture(false));
  }

  /** jnats wraps the server's refusal (in a RuntimeException, then a CompletionException). */
  private static int apiErrorCode(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause()) {
      if (t instanceof JetStreamApiException api) {
        return api.getApiErrorCode();
      }
    }
    return -1;
  }

  private static List<ChangeEvent> after(List<ChangeEvent> events, Lsn last) {
    int i = 0;
    while (i < events.size() && !events.get(i).lsn().isAfter(last)) {
      i++;
    }
    return events.subList(i, events.size());
  }

  private Tail readTail() throws Exception {
    MessageInfo message;
    try {
      message = jsm.getLastMessage(stream, subject);
    } catch (JetStreamApiException e) {
      if (e.getApiErrorCode() == NO_MESSAGE_FOUND) {
        return new Tail(0, Lsn.ZERO, knownTotal);
      }
      throw e;
    }
    NatsFrames.Summary summary = NatsFrames.summary(message.getHeaders(), message.getData());
    // A message without frame headers (the format before frames) has no total: keep counting
    // from what this publisher knew.
    long total = summary.total() >= 0 ? summary.total() : knownTotal;
    knownTotal = total;
    return new Tail(message.getSeq(), summary.last(), total);
  }
}
