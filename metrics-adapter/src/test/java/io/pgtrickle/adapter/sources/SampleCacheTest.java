package io.pgtrickle.adapter.sources;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class SampleCacheTest {

  /** A clock the test moves. */
  static final class TestClock extends Clock {
    Instant now = Instant.parse("2026-11-30T12:00:00Z");

    @Override
    public ZoneOffset getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }

  @Test
  void servesAReadForTheTtlThenReadsAgain() throws Exception {
    TestClock clock = new TestClock();
    SampleCache<String, Integer> cache = new SampleCache<>(Duration.ofSeconds(2), clock);
    AtomicInteger reads = new AtomicInteger();
    assertThat(cache.get("a", k -> reads.incrementAndGet()).value()).isEqualTo(1);
    clock.now = clock.now.plusMillis(1999);
    assertThat(cache.get("a", k -> reads.incrementAndGet()).value()).isEqualTo(1);
    clock.now = clock.now.plusMillis(1);
    assertThat(cache.get("a", k -> reads.incrementAndGet()).value()).isEqualTo(2);
  }

  @Test
  void aFailedReadIsAnErrorNeverTheOldValue() throws Exception {
    TestClock clock = new TestClock();
    SampleCache<String, Integer> cache = new SampleCache<>(Duration.ofSeconds(1), clock);
    cache.get("a", k -> 7);
    clock.now = clock.now.plusSeconds(1);
    assertThatThrownBy(
            () ->
                cache.get(
                    "a",
                    k -> {
                      throw new IOException("connection refused");
                    }))
        .isInstanceOf(IOException.class)
        .hasMessage("connection refused");
    // And the old value is gone, not served again once the source answers errors.
    assertThat(cache.get("a", k -> 8).value()).isEqualTo(8);
  }
}
