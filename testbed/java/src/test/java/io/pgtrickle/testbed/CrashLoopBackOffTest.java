package io.pgtrickle.testbed;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class CrashLoopBackOffTest {

  @Test
  void restartsAtOnceThenBacksOffDoublingUpToFiveMinutesAndForgetsAfterTenQuietMinutes() {
    CrashLoopBackOff backOff = new CrashLoopBackOff();
    Instant t = Instant.parse("2026-11-21T00:00:00Z");
    assertThat(backOff.next("db-0", t)).isZero();
    assertThat(backOff.next("db-1", t)).as("per container").isZero();
    assertThat(backOff.next("db-0", t = t.plusSeconds(30))).hasSeconds(10);
    assertThat(backOff.next("db-0", t = t.plusSeconds(30))).hasSeconds(20);
    assertThat(backOff.next("db-0", t = t.plusSeconds(30))).hasSeconds(40);
    for (int i = 0; i < 5; i++) {
      backOff.next("db-0", t = t.plusSeconds(30));
    }
    assertThat(backOff.next("db-0", t = t.plusSeconds(30))).isEqualTo(Duration.ofMinutes(5));
    assertThat(backOff.next("db-0", t.plus(Duration.ofMinutes(16)))).isZero();
  }
}
