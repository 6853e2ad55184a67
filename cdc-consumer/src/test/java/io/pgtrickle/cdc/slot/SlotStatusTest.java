package io.pgtrickle.cdc.slot;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.changelog.Lsn;
import org.junit.jupiter.api.Test;

/** Which invalidated slots are stale standby copies to replace rather than a terminal state. */
class SlotStatusTest {

  private static SlotStatus slot(String walStatus, String reason, boolean conflicting) {
    Lsn at = Lsn.parse("0/3000000");
    return new SlotStatus(true, "pgoutput", at, at, 0, null, walStatus, reason, conflicting);
  }

  /** As the demo's primary showed it after two switchovers: {@code lost | t} on PostgreSQL 16. */
  @Test
  void aCopyInvalidatedByARecoveryConflictIsReplacedWhenCopiesAreTheConsumersToDrop() {
    SlotStatus copy = slot("lost", null, true);
    assertThat(copy.lost()).isTrue();
    assertThat(copy.staleStandbyCopy(true)).isTrue();
    assertThat(copy.staleStandbyCopy(false)).as("not asked to drop copies: terminal").isFalse();
  }

  /** WAL removed (max_slot_wal_keep_size) is the consumer's own slot lost: terminal. */
  @Test
  void aSlotWhoseWalWasRemovedStaysTerminal() {
    assertThat(slot("lost", null, false).staleStandbyCopy(true)).isFalse();
    assertThat(slot("lost", "wal_removed", false).staleStandbyCopy(true)).isFalse();
    assertThat(slot("lost", "wal_removed", false).lost()).isTrue();
  }

  @Test
  void aValidOrMissingSlotIsNoStaleCopy() {
    assertThat(slot("reserved", null, false).staleStandbyCopy(true)).isFalse();
    assertThat(SlotStatus.missing(Lsn.parse("0/1")).staleStandbyCopy(true)).isFalse();
  }

  @Test
  void aSlotAheadOfWhatTheConsumerKnewIsNotItsSlot() {
    SlotStatus at3 = slot("reserved", null, false); // confirmed 0/3000000
    assertThat(at3.aheadOf(Lsn.parse("0/2FFFFFF")))
        .as("created since, past the consumer's last confirmation")
        .isTrue();
    assertThat(at3.aheadOf(Lsn.parse("0/3000000"))).as("where the consumer left it").isFalse();
    assertThat(at3.aheadOf(Lsn.parse("0/3100000")))
        .as("a copy behind what the consumer confirmed: decoded again, deduplicated")
        .isFalse();
    assertThat(at3.aheadOf(null)).as("never found before: nothing to compare").isFalse();
    assertThat(SlotStatus.missing(Lsn.parse("0/4000000")).aheadOf(Lsn.parse("0/1"))).isFalse();
  }
}
