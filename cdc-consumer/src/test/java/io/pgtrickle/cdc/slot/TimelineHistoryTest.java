package io.pgtrickle.cdc.slot;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgtrickle.changelog.Lsn;
import org.junit.jupiter.api.Test;

class TimelineHistoryTest {

  /** Timeline 3's history file as PostgreSQL writes it: timeline 1 ended at 0/5000108, 2 later. */
  private static final String THREE =
      "1\t0/5000108\tno recovery target specified\n\n2\t0/7A0000D8\tno recovery target specified\n";

  @Test
  void theSwitchpointOfEachEarlierTimeline() {
    assertThat(TimelineHistory.switchpoint(THREE, 1)).contains(Lsn.parse("0/5000108"));
    assertThat(TimelineHistory.switchpoint(THREE, 2)).contains(Lsn.parse("0/7A0000D8"));
    assertThat(TimelineHistory.switchpoint(THREE, 3)).isEmpty();
    assertThat(TimelineHistory.switchpoint("# a comment\n4\t1/0\treason\n", 4))
        .contains(Lsn.parse("1/0"));
    assertThat(TimelineHistory.switchpoint("1\tnot-an-lsn\treason\n", 1)).isEmpty();
    assertThat(TimelineHistory.switchpoint("", 1)).isEmpty();
  }

  @Test
  void theCurrentTimelineBeganAtTheLastSwitchpoint() {
    assertThat(TimelineHistory.began(THREE)).contains(Lsn.parse("0/7A0000D8"));
    assertThat(TimelineHistory.began("1\t0/5000108\treason\n# comment\n"))
        .contains(Lsn.parse("0/5000108"));
    assertThat(TimelineHistory.began("")).isEmpty();
    assertThat(TimelineHistory.began("1\t0/5000108\treason\n2\tbad\treason\n")).isEmpty();
  }

  @Test
  void publishedCommitsAfterTheSwitchpointAreNotInTheNewHistory() {
    assertThat(TimelineHistory.forked(THREE, 2, 3, Lsn.parse("0/7A0000D9")))
        .as("the last published commit ends one byte after timeline 2 did")
        .isTrue();
    assertThat(TimelineHistory.forked(THREE, 1, 3, Lsn.parse("0/6000000")))
        .as("streamed on 1, which ended before it; 2 in between")
        .isTrue();
  }

  @Test
  void publishedCommitsUpToTheSwitchpointAre() {
    assertThat(TimelineHistory.forked(THREE, 2, 3, Lsn.parse("0/7A0000D8"))).isFalse();
    assertThat(TimelineHistory.forked(THREE, 2, 3, Lsn.parse("0/5000000"))).isFalse();
    assertThat(TimelineHistory.forked(THREE, 1, 3, Lsn.parse("0/5000108"))).isFalse();
  }

  @Test
  void theSameTimelineOrNothingPublishedIsNoFork() {
    assertThat(TimelineHistory.forked("", 1, 1, Lsn.parse("5/0"))).isFalse();
    assertThat(TimelineHistory.forked(THREE, 2, 3, Lsn.ZERO)).isFalse();
  }

  @Test
  void aHistoryThatDoesNotPassThroughTheStreamedTimelineIsAFork() {
    assertThat(TimelineHistory.forked(THREE, 5, 3, Lsn.parse("0/1")))
        .as("a server on an older timeline than the one streamed from")
        .isTrue();
    assertThat(TimelineHistory.forked("1\t0/5000108\treason\n", 2, 3, Lsn.parse("0/1")))
        .as("timeline 3 forked from 1, not from 2, which was streamed")
        .isTrue();
  }
}
