package io.pgtrickle.changelog.nats;

import io.nats.client.impl.Headers;
import io.pgtrickle.changelog.ChangeEvent;
import io.pgtrickle.changelog.ChangeEventCodec;
import io.pgtrickle.changelog.ChangeEventWriter;
import io.pgtrickle.changelog.Lsn;
import io.pgtrickle.changelog.MalformedEventException;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * The NATS message format: one JetStream message carries a frame of consecutive events of one
 * source, their JSON ({@link ChangeEventCodec}) one per line. JSON text never holds a raw newline
 * (the codec escapes control characters in strings), so a line is an event. A message written
 * before frames existed holds one event's JSON and no headers: it reads as a frame of one.
 *
 * <p>Headers: {@value #FIRST_LSN} and {@value #LAST_LSN} (positions in {@link Lsn#toString()}
 * form), {@value #EVENTS} (how many), and {@value #TOTAL}: how many events the source's subject
 * holds up to and including this frame, which turns "events not acknowledged" into a subtraction.
 *
 * <p>Pure: no I/O, so the format is unit tested byte by byte.
 */
final class NatsFrames {

  static final String FIRST_LSN = "Pgtrickle-First-Lsn";
  static final String LAST_LSN = "Pgtrickle-Last-Lsn";
  static final String EVENTS = "Pgtrickle-Events";
  static final String TOTAL = "Pgtrickle-Total";

  /** Bytes kept free under the server's {@code max_payload} for the headers. */
  static final int HEADER_ROOM = 4096;

  /** Largest frame body even when the server allows more: bounds the reader's memory. */
  static final int MAX_FRAME_BYTES = 1 << 20;

  private NatsFrames() {}

  /**
   * One message's worth of events.
   *
   * @param payload the JSON lines
   * @param first position of the first event
   * @param last position of the last event
   * @param events how many events
   * @param total events of the source up to and including this frame
   */
  record Frame(byte[] payload, Lsn first, Lsn last, int events, long total) {

    /**
     * The JetStream message id: the source and the frame's first and last positions, so the same
     * frame published again is dropped by JetStream's duplicate window, while a frame that covers
     * different events never is. A one-event frame keeps the id of the format before frames.
     */
    String messageId(long sourceOid) {
      return first.equals(last) ? sourceOid + "/" + first : sourceOid + "/" + first + "-" + last;
    }

    Headers headers() {
      return new Headers()
          .put(FIRST_LSN, first.toString())
          .put(LAST_LSN, last.toString())
          .put(EVENTS, Integer.toString(events))
          .put(TOTAL, Long.toString(total));
    }
  }

  /**
   * What a stored message says about itself, from its headers or, for a message without them, from
   * its body.
   *
   * @param last position of its last event
   * @param events how many events it holds
   * @param total the {@value #TOTAL} header, or -1 for a message written before frames
   */
  record Summary(Lsn last, int events, long total) {}

  /**
   * Cuts events into frames of at most {@code maxEvents} events and {@code maxBytes} bytes of body
   * (an event larger than that travels alone). The cut depends only on the events and the limits.
   *
   * @param events one source's events, positions strictly increasing
   * @param totalBefore events the subject holds before the first frame
   * @param maxBytes most body bytes per frame
   * @param maxEvents most events per frame
   * @return the frames, in order
   * @throws MalformedEventException if an event cannot be encoded
   */
  static List<Frame> split(
      List<ChangeEvent> events, long totalBefore, int maxBytes, int maxEvents) {
    List<Frame> frames = new ArrayList<>();
    ByteArrayOutputStream body = new ByteArrayOutputStream(Math.min(maxBytes, 64 * 1024));
    // One generator for every event of the call, each event written into a reused scratch buffer
    // and copied from there into the frame: no generator, array or copy of its own per event.
    Scratch json = new Scratch();
    Lsn first = null;
    Lsn last = null;
    int count = 0;
    long total = totalBefore;
    try (ChangeEventWriter writer = new ChangeEventWriter(json)) {
      for (ChangeEvent event : events) {
        json.reset();
        writer.write(event);
        if (count > 0 && (count == maxEvents || body.size() + 1 + json.size() > maxBytes)) {
          frames.add(new Frame(body.toByteArray(), first, last, count, total));
          body.reset();
          count = 0;
        }
        if (count == 0) {
          first = event.lsn();
        } else {
          body.write('\n');
        }
        json.appendTo(body);
        last = event.lsn();
        count++;
        total++;
      }
    }
    if (count > 0) {
      frames.add(new Frame(body.toByteArray(), first, last, count, total));
    }
    return frames;
  }

  /** A byte buffer whose contents are appended to another without a copy of their own. */
  private static final class Scratch extends ByteArrayOutputStream {
    Scratch() {
      super(1024);
    }

    void appendTo(ByteArrayOutputStream out) {
      out.write(buf, 0, count);
    }
  }

  /**
   * Reads the events of a message body.
   *
   * @param payload JSON lines (or a single JSON event)
   * @return the events, in order
   * @throws MalformedEventException if a line is not a valid change event
   */
  static List<ChangeEvent> unpack(byte[] payload) {
    List<ChangeEvent> events = new ArrayList<>();
    int start = 0;
    for (int i = 0; i <= payload.length; i++) {
      if (i == payload.length || payload[i] == '\n') {
        if (i > start) {
          events.add(ChangeEventCodec.decode(payload, start, i - start));
        }
        start = i + 1;
      }
    }
    if (events.isEmpty()) {
      throw new MalformedEventException("NATS message holds no change event");
    }
    return events;
  }

  /**
   * Summarises a stored message without decoding its body when it has the headers.
   *
   * @param headers the message's headers, possibly null
   * @param payload its body
   * @return last position, event count and subject total
   */
  static Summary summary(Headers headers, byte[] payload) {
    if (headers != null && headers.getFirst(LAST_LSN) != null) {
      try {
        return new Summary(
            Lsn.parse(headers.getFirst(LAST_LSN)),
            Integer.parseInt(headers.getFirst(EVENTS)),
            Long.parseLong(headers.getFirst(TOTAL)));
      } catch (RuntimeException e) {
        throw new MalformedEventException("NATS message has malformed frame headers: " + e, e);
      }
    }
    List<ChangeEvent> events = unpack(payload);
    return new Summary(events.get(events.size() - 1).lsn(), events.size(), -1);
  }
}
