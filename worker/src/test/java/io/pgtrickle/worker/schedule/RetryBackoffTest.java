package io.pgtrickle.worker.schedule;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RetryBackoffTest {

  @Test
  void delaysDoubleFromOneSecondToThirtyAndTheFifthInARowIsPersistent() {
    RetryBackoff b = new RetryBackoff();
    List<Long> delays = new ArrayList<>();
    List<Boolean> persistent = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      delays.add(b.ended(0));
      persistent.add(b.persistent());
    }
    assertThat(delays)
        .containsExactly(1_000L, 2_000L, 4_000L, 8_000L, 16_000L, 30_000L, 30_000L, 30_000L);
    assertThat(persistent).containsExactly(false, false, false, false, true, true, true, true);
    assertThat(b.inARow()).isEqualTo(8);
  }

  @Test
  void dueOnlyOnceTheDelayHasPassed() {
    RetryBackoff b = new RetryBackoff();
    assertThat(b.due(-123)).as("nothing ended yet").isTrue();
    long now = 5_000_000_000L;
    long delayMs = b.ended(now);
    assertThat(b.due(now)).isFalse();
    assertThat(b.due(now + delayMs * 1_000_000L - 1)).isFalse();
    assertThat(b.due(now + delayMs * 1_000_000L)).isTrue();
  }

  @Test
  void dueAcrossTheWrapOfNanoTime() {
    RetryBackoff b = new RetryBackoff();
    long now = Long.MAX_VALUE - 500_000_000L; // the delay's end wraps to a negative nanoTime
    long delayMs = b.ended(now);
    assertThat(b.due(now + 1)).isFalse();
    assertThat(b.due(now + delayMs * 1_000_000L)).isTrue();
  }
}
