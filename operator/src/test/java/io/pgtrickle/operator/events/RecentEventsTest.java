package io.pgtrickle.operator.events;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class RecentEventsTest {

  private static final Instant T0 = Instant.parse("2026-12-07T01:00:00Z");

  @Test
  void theSameEventWithinTheWindowIsDroppedThenRecordedAgain() {
    RecentEvents recent = new RecentEvents();
    assertThat(recent.first("u/c/Normal/WorkersScaled/from 2 to 3", T0)).isTrue();
    assertThat(recent.first("u/c/Normal/WorkersScaled/from 2 to 3", T0.plusSeconds(1))).isFalse();
    assertThat(recent.first("u/c/Normal/WorkersScaled/from 3 to 4", T0.plusSeconds(1))).isTrue();
    assertThat(recent.first("u2/c/Normal/WorkersScaled/from 2 to 3", T0.plusSeconds(1)))
        .as("another object")
        .isTrue();
    assertThat(
            recent.first(
                "u/c/Normal/WorkersScaled/from 2 to 3", T0.plus(RecentEvents.WINDOW).plusMillis(1)))
        .isTrue();
  }

  @Test
  void oldEntriesAreSweptOnceTheMapGrows() {
    RecentEvents recent = new RecentEvents();
    for (int i = 0; i < 2000; i++) {
      assertThat(recent.first("k" + i, T0)).isTrue();
    }
    Instant later = T0.plusSeconds(60);
    assertThat(recent.first("k0", later)).isTrue();
    // Swept: k1 is recorded again although it was seen at T0.
    assertThat(recent.first("k1", later)).isTrue();
  }
}
