package io.pgtrickle.worker.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.changelog.Lsn;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AckHoldbackTest {

  private static final long S = 1_000_000_000L;

  private static StandbyFlush standbys(String minFlush, int streaming, int hidden) {
    return new StandbyFlush(
        Lsn.parse("0/9000000"), minFlush == null ? null : Lsn.parse(minFlush), streaming, hidden);
  }

  private static AckHoldback holding(AckHoldback h) {
    h.hold(7, Lsn.parse("0/1000"), Map.of(1L, Lsn.parse("0/900")), Map.of(1L, 3), 0);
    h.hold(
        8,
        Lsn.parse("0/2000"),
        Map.of(1L, Lsn.parse("0/1900"), 2L, Lsn.parse("0/1950")),
        Map.of(1L, 2, 2L, 1),
        S);
    return h;
  }

  @Test
  void acknowledgmentsWaitUntilEveryStandbyFlushedTheCommit() {
    AckHoldback h = holding(new AckHoldback(Duration.ofSeconds(60)));
    assertThat(h.heldEvents(1L)).isEqualTo(5);
    assertThat(h.heldEvents(2L)).isEqualTo(1);

    AckHoldback.Release none = h.release(standbys("0/FFF", 2, 0), 2 * S);
    assertThat(none.acknowledge()).isEmpty();
    assertThat(none.unprotectedCount()).isEqualTo(-1);

    AckHoldback.Release first = h.release(standbys("0/1000", 2, 0), 2 * S);
    assertThat(first.acknowledge()).containsExactly(Map.entry(1L, Lsn.parse("0/900")));
    assertThat(first.unprotectedCount()).as("the standbys have it").isEqualTo(-1);
    assertThat(h.heldEvents(1L)).isEqualTo(2);

    AckHoldback.Release second = h.release(standbys("0/5000", 1, 0), 2 * S);
    assertThat(second.acknowledge())
        .containsOnly(Map.entry(1L, Lsn.parse("0/1900")), Map.entry(2L, Lsn.parse("0/1950")));
    assertThat(h.isEmpty()).isTrue();
    assertThat(h.heldEvents(1L)).isZero();
  }

  @Test
  void withoutAStreamingStandbyEverythingGoesUnprotected() {
    AckHoldback h = holding(new AckHoldback(Duration.ofSeconds(60)));
    AckHoldback.Release r = h.release(standbys(null, 0, 0), 2 * S);
    assertThat(r.acknowledge()).containsEntry(1L, Lsn.parse("0/1900")).hasSize(2);
    assertThat(r.unprotectedCount()).isEqualTo(8);
    assertThat(r.why()).isEqualTo("no physical standby streams");
  }

  @Test
  void hiddenPositionsReleaseUnprotectedAndSaySo() {
    AckHoldback h = holding(new AckHoldback(Duration.ofSeconds(60)));
    AckHoldback.Release r = h.release(standbys(null, 1, 1), 2 * S);
    assertThat(r.acknowledge()).hasSize(2);
    assertThat(r.unprotectedCount()).isEqualTo(8);
    assertThat(r.why()).contains("pg_read_all_stats");
  }

  @Test
  void aStandbyThatDoesNotFlushHoldsOnlyUntilTheBound() {
    AckHoldback h = holding(new AckHoldback(Duration.ofSeconds(60)));
    assertThat(h.release(standbys("0/100", 1, 0), 59 * S).acknowledge()).isEmpty();
    AckHoldback.Release r = h.release(standbys("0/100", 1, 0), 60 * S);
    assertThat(r.acknowledge())
        .as("only the commit held 60 s")
        .containsExactly(Map.entry(1L, Lsn.parse("0/900")));
    assertThat(r.unprotectedCount()).isEqualTo(7);
    assertThat(r.why()).contains("0/1000").contains("60 s").contains("0/100");
    assertThat(h.release(standbys("0/2000", 1, 0), 60 * S).unprotectedCount())
        .as("the next one flushed in time")
        .isEqualTo(-1);
  }

  @Test
  void aZeroBoundReleasesAtOnceUnprotected() {
    AckHoldback h = new AckHoldback(Duration.ZERO);
    h.hold(3, Lsn.parse("0/1000"), Map.of(1L, Lsn.parse("0/900")), Map.of(1L, 1), 5 * S);
    AckHoldback.Release r = h.release(standbys("0/100", 1, 0), 5 * S);
    assertThat(r.acknowledge()).hasSize(1);
    assertThat(r.unprotectedCount()).isEqualTo(3);
  }
}
