package io.pgtrickle.changelog.nats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgtrickle.changelog.ChangeEvent;
import io.pgtrickle.changelog.ChangeEventCodec;
import io.pgtrickle.changelog.Lsn;
import io.pgtrickle.changelog.MalformedEventException;
import io.pgtrickle.changelog.support.TestEvents;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class NatsFramesTest {

  private static List<ChangeEvent> commit(long lsn, int changes) {
    List<ChangeEvent> events = new ArrayList<>();
    for (int seq = 0; seq < changes; seq++) {
      events.add(
          ChangeEvent.insert(7, Lsn.of(lsn, seq), 9, Map.of("n", (long) seq), Instant.EPOCH));
    }
    return events;
  }

  @Test
  void aFrameIsTheEventsJsonOnePerLine() {
    List<ChangeEvent> events = commit(0x100, 3);
    NatsFrames.Frame frame = NatsFrames.split(events, 0, 1 << 20, 1000).get(0);
    String expected =
        ChangeEventCodec.toJson(events.get(0))
            + "\n"
            + ChangeEventCodec.toJson(events.get(1))
            + "\n"
            + ChangeEventCodec.toJson(events.get(2));
    assertThat(new String(frame.payload(), StandardCharsets.UTF_8)).isEqualTo(expected);
    assertThat(frame.first()).isEqualTo(Lsn.of(0x100));
    assertThat(frame.last()).isEqualTo(Lsn.of(0x100, 2));
    assertThat(frame.events()).isEqualTo(3);
    assertThat(frame.messageId(7)).isEqualTo("7/0/100-0/100.2");
    assertThat(frame.headers().getFirst(NatsFrames.FIRST_LSN)).isEqualTo("0/100");
    assertThat(frame.headers().getFirst(NatsFrames.LAST_LSN)).isEqualTo("0/100.2");
    assertThat(frame.headers().getFirst(NatsFrames.EVENTS)).isEqualTo("3");
    assertThat(NatsFrames.unpack(frame.payload())).containsExactlyElementsOf(events);
  }

  @Test
  void framesAreCutByEventCountAndCarryTheRunningTotal() {
    List<ChangeEvent> events = TestEvents.range(7, 1, 25);
    List<NatsFrames.Frame> frames = NatsFrames.split(events, 100, 1 << 20, 10);
    assertThat(frames).extracting(NatsFrames.Frame::events).containsExactly(10, 10, 5);
    assertThat(frames).extracting(NatsFrames.Frame::total).containsExactly(110L, 120L, 125L);
    assertThat(frames)
        .extracting(NatsFrames.Frame::first)
        .containsExactly(Lsn.of(1), Lsn.of(11), Lsn.of(21));
    List<ChangeEvent> back = new ArrayList<>();
    frames.forEach(f -> back.addAll(NatsFrames.unpack(f.payload())));
    assertThat(back).containsExactlyElementsOf(events);
    // The cut depends only on the events and the limits: a re-publish gets the same message ids.
    assertThat(NatsFrames.split(events, 100, 1 << 20, 10))
        .extracting(f -> f.messageId(7))
        .isEqualTo(frames.stream().map(f -> f.messageId(7)).toList());
  }

  @Test
  void framesStayUnderTheByteLimitAndALargerEventTravelsAlone() {
    List<ChangeEvent> events = new ArrayList<>();
    for (long l = 1; l <= 6; l++) {
      events.add(TestEvents.sized(7, l, l == 4 ? 5_000 : 300));
    }
    int limit = 1_000;
    List<NatsFrames.Frame> frames = NatsFrames.split(events, 0, limit, 1000);
    for (NatsFrames.Frame f : frames) {
      assertThat(f.payload().length <= limit || f.events() == 1).as(f.messageId(7)).isTrue();
    }
    assertThat(frames.stream().filter(f -> f.first().equals(Lsn.of(4))).findFirst().orElseThrow())
        .satisfies(f -> assertThat(f.events()).isEqualTo(1))
        .satisfies(f -> assertThat(f.messageId(7)).isEqualTo("7/0/4"));
    List<ChangeEvent> back = new ArrayList<>();
    frames.forEach(f -> back.addAll(NatsFrames.unpack(f.payload())));
    assertThat(back).containsExactlyElementsOf(events);
  }

  @Test
  void newlinesAndNonAsciiInsideValuesDoNotBreakLines() {
    ChangeEvent tricky =
        ChangeEvent.insert(
            7, Lsn.of(5), 1, Map.of("text", "line one\nline two\r\n\u2028 ü 🐘"), Instant.EPOCH);
    List<ChangeEvent> events = List.of(TestEvents.event(7, 4), tricky, TestEvents.event(7, 6));
    NatsFrames.Frame frame = NatsFrames.split(events, 0, 1 << 20, 1000).get(0);
    assertThat(NatsFrames.unpack(frame.payload())).containsExactlyElementsOf(events);
  }

  @Test
  void aMessageFromBeforeFramesReadsAsAFrameOfOne() {
    ChangeEvent event = TestEvents.event(7, 42);
    byte[] plain = ChangeEventCodec.encode(event);
    assertThat(NatsFrames.unpack(plain)).containsExactly(event);
    assertThat(NatsFrames.summary(null, plain))
        .isEqualTo(new NatsFrames.Summary(Lsn.of(42), 1, -1));
  }

  @Test
  void theSummaryComesFromTheHeadersWithoutDecodingTheBody() {
    NatsFrames.Frame frame = NatsFrames.split(TestEvents.range(7, 1, 4), 6, 1 << 20, 1000).get(0);
    assertThat(NatsFrames.summary(frame.headers(), new byte[0]))
        .isEqualTo(new NatsFrames.Summary(Lsn.of(4), 4, 10));
  }

  @Test
  void anEmptyOrBrokenMessageIsMalformed() {
    assertThatThrownBy(() -> NatsFrames.unpack(new byte[0]))
        .isInstanceOf(MalformedEventException.class)
        .hasMessageContaining("no change event");
    byte[] broken = (ChangeEventCodec.toJson(TestEvents.event(7, 1)) + "\n{").getBytes();
    assertThatThrownBy(() -> NatsFrames.unpack(broken)).isInstanceOf(MalformedEventException.class);
  }
}
