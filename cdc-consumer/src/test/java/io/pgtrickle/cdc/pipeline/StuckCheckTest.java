package io.pgtrickle.cdc.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.cdc.slot.SlotStatus;
import io.pgtrickle.changelog.Lsn;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class StuckCheckTest {

  private static final long S = 1_000_000_000L;

  private static SlotStatus slot(long server, long confirmed, int pid, Long sent) {
    return new SlotStatus(
        true,
        "pgoutput",
        Lsn.of(server),
        Lsn.of(confirmed),
        pid,
        sent == null ? null : Lsn.of(sent),
        "reserved",
        null,
        false);
  }

  @Test
  void notStreamingWhileTheSourceHasWalIsStuckAfterTheTimeout() {
    StuckCheck check = new StuckCheck(Duration.ofSeconds(60), 0);
    assertThat(check.observe(0, slot(200, 100, 0, null), 0, 0, false)).isNull();
    assertThat(check.observe(60 * S, slot(300, 100, 0, null), 0, 0, false)).isNull();
    assertThat(check.observe(61 * S, slot(300, 100, 0, null), 0, 0, false))
        .startsWith("stuck: the slot's confirmed position 0/64 has not moved for 61 s")
        .endsWith("no walsender streams from the slot");
    // It moves: not stuck any more.
    assertThat(check.observe(62 * S, slot(300, 150, 0, null), 0, 0, false)).isNull();
  }

  @Test
  void aStreamingPipelineThatPublishesNothingIsStuckButOneThatPublishesIsNot() {
    StuckCheck check = new StuckCheck(Duration.ofSeconds(60), 0);
    // Our walsender sent past the confirmed position; the pipeline published at 50 s.
    assertThat(check.observe(0, slot(300, 100, 7, 250L), 7, 0, false)).isNull();
    assertThat(check.observe(100 * S, slot(300, 100, 7, 250L), 7, 50 * S, false)).isNull();
    assertThat(check.observe(111 * S, slot(300, 100, 7, 250L), 7, 50 * S, false))
        .contains("has not moved for 61 s")
        .contains("walsender 7 sent up to 0/FA");
  }

  @Test
  void idleCaughtUpOrWaitingForTheChangeLogIsNotStuck() {
    StuckCheck check = new StuckCheck(Duration.ofSeconds(60), 0);
    // The server is where the slot is.
    assertThat(check.observe(100 * S, slot(100, 100, 7, 100L), 7, 0, false)).isNull();
    // The server is a little ahead, but our walsender has sent nothing past what we confirmed.
    assertThat(check.observe(200 * S, slot(124, 100, 7, 100L), 7, 0, false)).isNull();
    // The change log refuses publishes: /readyz says so, a restart would not help.
    assertThat(check.observe(300 * S, slot(500, 100, 7, 400L), 7, 0, true)).isNull();
    assertThat(check.observe(330 * S, slot(500, 100, 7, 400L), 7, 0, false)).isNull();
    assertThat(check.observe(361 * S, slot(500, 100, 7, 400L), 7, 0, false)).isNotNull();
  }
}
