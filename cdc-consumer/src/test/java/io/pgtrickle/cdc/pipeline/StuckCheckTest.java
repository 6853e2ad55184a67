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
    assertThat(check.observe(0, slot(200, 100, 0, null), 0, 0, false, false)).isNull();
    assertThat(check.observe(60 * S, slot(300, 100, 0, null), 0, 0, false, false)).isNull();
    assertThat(check.observe(61 * S, slot(300, 100, 0, null), 0, 0, false, false))
        .startsWith("stuck: the slot's confirmed position 0/64 has not moved for 61 s")
        .endsWith("no walsender streams from the slot");
    // It moves: not stuck any more.
    assertThat(check.observe(62 * S, slot(300, 150, 0, null), 0, 0, false, false)).isNull();
  }

  @Test
  void aStreamingPipelineThatPublishesNothingIsStuckButOneThatPublishesIsNot() {
    StuckCheck check = new StuckCheck(Duration.ofSeconds(60), 0);
    // Our walsender sent past the confirmed position; the pipeline published at 50 s.
    assertThat(check.observe(0, slot(300, 100, 7, 250L), 7, 0, false, false)).isNull();
    assertThat(check.observe(100 * S, slot(300, 100, 7, 250L), 7, 50 * S, false, false)).isNull();
    assertThat(check.observe(111 * S, slot(300, 100, 7, 250L), 7, 50 * S, false, false))
        .contains("has not moved for 61 s")
        .contains("walsender 7 sent up to 0/FA");
  }

  @Test
  void ourWalsenderSendingIsProgress() {
    StuckCheck check = new StuckCheck(Duration.ofSeconds(60), 0);
    assertThat(check.observe(0, slot(900, 100, 7, 200L), 7, 0, false, false)).isNull();
    assertThat(check.observe(50 * S, slot(900, 100, 7, 400L), 7, 0, false, false)).isNull();
    assertThat(check.observe(100 * S, slot(900, 100, 7, 600L), 7, 0, false, false)).isNull();
    // Holding unpublished changes: the walsender reading on does not count.
    assertThat(check.observe(120 * S, slot(900, 100, 7, 700L), 7, 0, true, false)).isNull();
    assertThat(check.observe(161 * S, slot(900, 100, 7, 800L), 7, 0, true, false)).isNotNull();
    check = new StuckCheck(Duration.ofSeconds(60), 0);
    assertThat(check.observe(0, slot(900, 100, 7, 200L), 7, 0, false, false)).isNull();
    // Another client's walsender sending does not count.
    assertThat(check.observe(50 * S, slot(900, 100, 8, 800L), 7, 0, false, false)).isNull();
    assertThat(check.observe(61 * S, slot(900, 100, 8, 850L), 7, 0, false, false)).isNotNull();
  }

  @Test
  void idleCaughtUpOrWaitingForTheChangeLogIsNotStuck() {
    StuckCheck check = new StuckCheck(Duration.ofSeconds(60), 0);
    // The server is where the slot is.
    assertThat(check.observe(100 * S, slot(100, 100, 7, 100L), 7, 0, false, false)).isNull();
    // The server is a little ahead, but our walsender has sent nothing past what we confirmed.
    assertThat(check.observe(200 * S, slot(124, 100, 7, 100L), 7, 0, false, false)).isNull();
    // The change log refuses publishes: /readyz says so, a restart would not help.
    assertThat(check.observe(300 * S, slot(500, 100, 7, 400L), 7, 0, false, true)).isNull();
    assertThat(check.observe(330 * S, slot(500, 100, 7, 400L), 7, 0, false, false)).isNull();
    assertThat(check.observe(361 * S, slot(500, 100, 7, 400L), 7, 0, false, false)).isNotNull();
  }
}
