package io.pgtrickle.operator.postgres.failover;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.operator.api.SwitchoverRecord;
import io.pgtrickle.operator.postgres.failover.PrimaryChange.Kind;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class PrimaryChangeTest {

  private static final Instant NOW = Instant.parse("2026-12-04T12:00:00Z");

  private static SwitchoverRecord asked(String from, String to, String at) {
    return new SwitchoverRecord(from, to, at);
  }

  @Test
  void aMoveWithoutASwitchoverAskedForIsAFailover() {
    PrimaryChange change = PrimaryChange.of("db-0", "db-1", null, NOW);
    assertThat(change.kind()).isEqualTo(Kind.FAILOVER);
    assertThat(change.from()).isEqualTo("db-0");
    assertThat(change.to()).isEqualTo("db-1");
  }

  @Test
  void aMoveToTheMemberASwitchoverNamedIsThatSwitchoverAndSettlesIt() {
    PrimaryChange change =
        PrimaryChange.of("db-0", "db-1", asked("db-0", "db-1", "2026-12-04T11:59:58Z"), NOW);
    assertThat(change.kind()).isEqualTo(Kind.SWITCHOVER);
    assertThat(change.switchover()).isEqualTo(asked("db-0", "db-1", "2026-12-04T11:59:58Z"));
    assertThat(change.remaining()).isNull();
  }

  @Test
  void withoutANamedCandidateAnyOtherMemberCompletesTheSwitchover() {
    // Synchronous rollouts let Patroni pick the synchronous standby.
    assertThat(
            PrimaryChange.of("db-0", "db-2", asked("db-0", null, "2026-12-04T11:59:58Z"), NOW)
                .kind())
        .isEqualTo(Kind.SWITCHOVER);
  }

  @Test
  void aMoveToAnotherMemberThanTheOneNamedIsAFailover() {
    PrimaryChange change =
        PrimaryChange.of("db-0", "db-2", asked("db-0", "db-1", "2026-12-04T11:59:58Z"), NOW);
    assertThat(change.kind()).isEqualTo(Kind.FAILOVER);
    assertThat(change.remaining()).isNull();
  }

  @Test
  void aMoveAwayFromAnotherPrimaryThanTheOneAskedIsAFailover() {
    assertThat(
            PrimaryChange.of("db-1", "db-0", asked("db-0", "db-1", "2026-12-04T11:59:58Z"), NOW)
                .kind())
        .isEqualTo(Kind.FAILOVER);
  }

  @Test
  void aSwitchoverSeenThroughAMomentWithoutPrimaryIsNoLossAndStillASwitchover() {
    SwitchoverRecord record = asked("db-0", "db-1", "2026-12-04T11:59:58Z");
    PrimaryChange demoted = PrimaryChange.of("db-0", null, record, NOW);
    assertThat(demoted.kind()).isEqualTo(Kind.HANDING_OVER);
    assertThat(demoted.remaining()).isEqualTo(record);
    PrimaryChange promoted = PrimaryChange.of(null, "db-1", demoted.remaining(), NOW);
    assertThat(promoted.kind()).isEqualTo(Kind.SWITCHOVER);
    assertThat(promoted.from()).isEqualTo("db-0");
    assertThat(promoted.remaining()).isNull();
  }

  @Test
  void aPrimaryGoneWithoutASwitchoverIsLost() {
    assertThat(PrimaryChange.of("db-0", null, null, NOW).kind()).isEqualTo(Kind.LOST);
    assertThat(
            PrimaryChange.of("db-1", null, asked("db-0", "db-1", "2026-12-04T11:59:58Z"), NOW)
                .kind())
        .isEqualTo(Kind.LOST);
  }

  /**
   * A deleted primary pod: its name leaves the status (LOST) before another member is promoted, so
   * the new primary follows a status without one. Before 2026-12-06 that was no Event at all.
   */
  @Test
  void aNewPrimaryAfterTheLostOneIsAFailoverFromIt() {
    PrimaryChange promoted = PrimaryChange.of(null, "db-1", null, "db-0", NOW);
    assertThat(promoted.kind()).isEqualTo(Kind.FAILOVER);
    assertThat(promoted.from()).isEqualTo("db-0");
    assertThat(promoted.to()).isEqualTo("db-1");
    assertThat(PrimaryChange.of(null, "db-0", null, "db-0", NOW).kind())
        .as("the same member back")
        .isEqualTo(Kind.RECOVERED);
    assertThat(PrimaryChange.of(null, "db-1", null, null, NOW).kind())
        .as("a first primary")
        .isEqualTo(Kind.NONE);
    assertThat(
            PrimaryChange.of(
                    null, "db-1", asked("db-0", "db-1", "2026-12-04T11:59:58Z"), "db-0", NOW)
                .kind())
        .as("a switchover explains it")
        .isEqualTo(Kind.SWITCHOVER);
  }

  @Test
  void aRecordOlderThanTheWindowExplainsNothingAndIsDropped() {
    SwitchoverRecord old = asked("db-0", "db-1", "2026-12-04T11:54:59Z");
    assertThat(PrimaryChange.of("db-0", "db-1", old, NOW).kind()).isEqualTo(Kind.FAILOVER);
    PrimaryChange unchanged = PrimaryChange.of("db-0", "db-0", old, NOW);
    assertThat(unchanged.kind()).isEqualTo(Kind.NONE);
    assertThat(unchanged.remaining()).isNull();
    // Just inside the window it still counts.
    assertThat(
            PrimaryChange.of("db-0", "db-1", asked("db-0", "db-1", "2026-12-04T11:55:00Z"), NOW)
                .kind())
        .isEqualTo(Kind.SWITCHOVER);
  }

  @Test
  void aRecordIsKeptWhileThePrimaryHasNotMovedYet() {
    // The switchover is recorded in the reconcile that asked, whose pods are from before it.
    SwitchoverRecord record = asked("db-0", "db-1", "2026-12-04T12:00:00Z");
    PrimaryChange change = PrimaryChange.of("db-0", "db-0", record, NOW);
    assertThat(change.kind()).isEqualTo(Kind.NONE);
    assertThat(change.remaining()).isEqualTo(record);
  }

  @Test
  void aFirstPrimaryWithNothingBeforeIsNoEventAndAnUnreadableRecordCountsForNothing() {
    assertThat(PrimaryChange.of(null, "db-0", null, NOW).kind()).isEqualTo(Kind.NONE);
    assertThat(PrimaryChange.of("db-0", "db-1", asked("db-0", "db-1", "yesterday"), NOW).kind())
        .isEqualTo(Kind.FAILOVER);
  }
}
