package io.pgtrickle.operator.streams.status;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ConditionBuilder;
import io.pgtrickle.operator.api.streams.StreamTableClusterPhase;
import io.pgtrickle.operator.api.streams.StreamTableClusterStatus;
import io.pgtrickle.operator.streams.status.PipelineEvents.Event;
import io.pgtrickle.operator.streams.status.PipelineEvents.Memory;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which Events a pipeline's phase changes give: what lasts, once. */
class PipelineEventsTest {

  private static final Instant T0 = Instant.parse("2026-12-04T12:00:00Z");

  /** Feeds statuses one reconcile after another, keeping the memory, collecting the Events. */
  private static final class Rounds {
    Memory memory = Memory.NONE;
    StreamTableClusterStatus last;
    final List<String> events = new ArrayList<>();

    List<String> round(StreamTableClusterStatus next, boolean blocked, long atSecond) {
      PipelineEvents.Decision d =
          PipelineEvents.decide(memory, last, next, blocked, T0.plusSeconds(atSecond));
      memory = d.memory();
      last = next;
      List<String> these =
          d.events().stream()
              .map(e -> (e.warning() ? "Warning " : "Normal ") + e.reason())
              .toList();
      events.addAll(these);
      return these;
    }
  }

  private static StreamTableClusterStatus status(
      StreamTableClusterPhase phase, String reason, Long degradedSinceSecond) {
    StreamTableClusterStatus s = new StreamTableClusterStatus();
    s.setPhase(phase);
    s.setPhaseReason(reason);
    s.setMessage(reason + " message");
    s.setConditions(
        new ArrayList<>(
            List.of(
                new ConditionBuilder()
                    .withType(PipelineStatusCalculator.DEGRADED)
                    .withStatus(degradedSinceSecond == null ? "False" : "True")
                    .withReason(reason)
                    .withLastTransitionTime(
                        T0.plusSeconds(degradedSinceSecond == null ? 0 : degradedSinceSecond)
                            .toString())
                    .build())));
    return s;
  }

  private static StreamTableClusterStatus running() {
    return status(StreamTableClusterPhase.Running, "PipelineReady", null);
  }

  private static StreamTableClusterStatus degraded(String reason, long since) {
    return status(StreamTableClusterPhase.Degraded, reason, since);
  }

  /**
   * The member the pipeline reads restarts (rollout, switchover): unreachable, then consumers not
   * ready, then running again within seconds. The status said so; before, each step gave a Warning
   * Event (DatabaseUnreachable, CdcNotReady) and then PipelineReady.
   */
  @Test
  void aShortOutageGivesNoEvent() {
    Rounds r = new Rounds();
    assertThat(r.round(running(), false, 0)).containsExactly("Normal PipelineReady");
    assertThat(r.round(degraded("DatabaseUnreachable", 10), false, 10)).isEmpty();
    assertThat(r.round(degraded("CdcNotReady", 10), false, 13)).isEmpty();
    assertThat(r.round(degraded("CdcNotReady", 10), false, 40)).isEmpty();
    assertThat(r.round(running(), false, 43)).isEmpty();
  }

  /** One that lasts is warned about once, with the reason of the moment, and its end told. */
  @Test
  void anOutageThatLastsIsWarnedOnceAfterTheGrace() {
    Rounds r = new Rounds();
    r.round(running(), false, 0);
    assertThat(r.round(degraded("DatabaseUnreachable", 10), false, 10)).isEmpty();
    assertThat(r.round(degraded("DatabaseUnreachable", 10), false, 69)).isEmpty();
    assertThat(r.round(degraded("CdcNotReady", 10), false, 70))
        .containsExactly("Warning CdcNotReady");
    assertThat(r.round(degraded("CdcNotReady", 10), false, 73)).isEmpty();
    assertThat(r.round(degraded("DatabaseUnreachable", 10), false, 76)).isEmpty();
    assertThat(r.round(running(), false, 80)).containsExactly("Normal PipelineReady");
  }

  @Test
  void theDelayedWarningSaysSinceWhen() {
    Event e =
        PipelineEvents.decide(
                new Memory(StreamTableClusterPhase.Degraded, false, null, null),
                degraded("DatabaseUnreachable", 0),
                degraded("DatabaseUnreachable", 0),
                false,
                T0.plusSeconds(61))
            .events()
            .get(0);
    assertThat(e.message())
        .isEqualTo(
            "DatabaseUnreachable message (degraded since 2026-12-04T12:00:00Z, more than 60 s)");
  }

  /**
   * A container that crashes again and again: one Warning for the episode, also when it is ready
   * for a while between crashes (before, a Warning per restart); a crash loop again after the
   * kubelet's 10 minutes is a new episode.
   */
  @Test
  void aCrashLoopIsOneEpisode() {
    Rounds r = new Rounds();
    r.round(running(), false, 0);
    assertThat(r.round(degraded("CrashLoopBackOff", 10), true, 10))
        .containsExactly("Warning CrashLoopBackOff");
    assertThat(r.round(degraded("CrashLoopBackOff", 10), true, 13)).isEmpty();
    // Ready for a while: the episode was warned about, so its end is told.
    assertThat(r.round(running(), false, 40)).containsExactly("Normal PipelineReady");
    assertThat(r.round(degraded("CrashLoopBackOff", 100), true, 100)).isEmpty();
    assertThat(r.round(running(), false, 130)).isEmpty();
    assertThat(r.round(degraded("CrashLoopBackOff", 200), true, 200)).isEmpty();
    assertThat(r.round(running(), false, 230)).isEmpty();
    // 10 minutes without a crash: the next one is a new episode.
    assertThat(r.round(degraded("CrashLoopBackOff", 900), true, 900))
        .containsExactly("Warning CrashLoopBackOff");
  }

  @Test
  void otherPodTroublesAreWarnedOnceAndForgottenWhenTheyGo() {
    Rounds r = new Rounds();
    StreamTableClusterStatus creating = status(StreamTableClusterPhase.Creating, "x", null);
    r.round(creating, false, 0);
    assertThat(r.round(status(StreamTableClusterPhase.Creating, "ErrImagePull", null), true, 1))
        .containsExactly("Warning ErrImagePull");
    assertThat(r.round(status(StreamTableClusterPhase.Creating, "ImagePullBackOff", null), true, 4))
        .isEmpty();
    assertThat(r.round(status(StreamTableClusterPhase.Creating, "CdcNotReady", null), false, 7))
        .isEmpty();
    assertThat(r.round(status(StreamTableClusterPhase.Creating, "ImagePullBackOff", null), true, 9))
        .containsExactly("Warning ImagePullBackOff");
    assertThat(r.round(running(), false, 12)).containsExactly("Normal PipelineReady");
  }

  @Test
  void failedIsWarnedAtOnce() {
    Rounds r = new Rounds();
    assertThat(r.round(status(StreamTableClusterPhase.Failed, "SecretNotFound", 0L), false, 0))
        .containsExactly("Warning SecretNotFound");
    assertThat(r.round(status(StreamTableClusterPhase.Failed, "SecretNotFound", 0L), false, 3))
        .isEmpty();
    assertThat(r.round(running(), false, 6)).containsExactly("Normal PipelineReady");
  }

  /**
   * A reconcile that read the status from before the last patch (the cache lags it) sees the old
   * phase: the memory says what was reported, so nothing is told twice.
   */
  @Test
  void aStaleStatusRepeatsNothing() {
    Memory warnedDegraded = new Memory(StreamTableClusterPhase.Degraded, true, null, null);
    var first =
        PipelineEvents.decide(
            warnedDegraded, degraded("CdcNotReady", 0), running(), false, T0.plusSeconds(90));
    assertThat(first.events()).extracting(Event::reason).containsExactly("PipelineReady");
    var stale =
        PipelineEvents.decide(
            first.memory(), degraded("CdcNotReady", 0), running(), false, T0.plusSeconds(91));
    assertThat(stale.events()).isEmpty();
  }

  /**
   * After an operator restart (nothing remembered) the status stands in: an episode it shows as
   * Degraded for longer than the grace, or Failed, or blocked by the same trouble, was warned about
   * by the operator before.
   */
  @Test
  void afterARestartTheStatusStandsIn() {
    assertThat(
            PipelineEvents.decide(
                    Memory.NONE,
                    degraded("CdcNotReady", 0),
                    degraded("CdcNotReady", 0),
                    false,
                    T0.plusSeconds(300))
                .events())
        .isEmpty();
    assertThat(
            PipelineEvents.decide(
                    Memory.NONE,
                    degraded("ImagePullBackOff", 0),
                    degraded("ImagePullBackOff", 0),
                    true,
                    T0.plusSeconds(5))
                .events())
        .isEmpty();
    // Degraded for less than the grace: its Warning is still to come, once.
    var young =
        PipelineEvents.decide(
            Memory.NONE,
            degraded("CdcNotReady", 0),
            degraded("CdcNotReady", 0),
            false,
            T0.plusSeconds(20));
    assertThat(young.events()).isEmpty();
    assertThat(
            PipelineEvents.decide(
                    young.memory(),
                    degraded("CdcNotReady", 0),
                    degraded("CdcNotReady", 0),
                    false,
                    T0.plusSeconds(60))
                .events())
        .extracting(Event::reason)
        .containsExactly("CdcNotReady");
  }

  private static StreamTableClusterStatus tables(String healthy, int inError) {
    StreamTableClusterStatus s = running();
    s.setStreamTablesInError(inError);
    s.getConditions()
        .add(
            new ConditionBuilder()
                .withType(PipelineStatusCalculator.STREAM_TABLES_HEALTHY)
                .withStatus(healthy)
                .withMessage(inError + " in ERROR")
                .build());
    return s;
  }

  private static List<String> streamTableEvents(
      StreamTableClusterStatus before, StreamTableClusterStatus after) {
    return PipelineEvents.streamTables(before, after).stream()
        .map(e -> (e.warning() ? "Warning " : "Normal ") + e.reason() + ": " + e.message())
        .toList();
  }

  @Test
  void streamTablesInErrorAreWarnedWhenTheyAppearOrGrowAndTheirEndIsTold() {
    StreamTableClusterStatus ok = tables("True", 0);
    assertThat(streamTableEvents(null, ok)).isEmpty();
    assertThat(streamTableEvents(ok, ok)).isEmpty();
    assertThat(streamTableEvents(ok, tables("False", 1)))
        .containsExactly("Warning StreamTablesInError: 1 in ERROR");
    assertThat(streamTableEvents(null, tables("False", 1)))
        .as("the operator restarted")
        .containsExactly("Warning StreamTablesInError: 1 in ERROR");
    assertThat(streamTableEvents(tables("False", 1), tables("False", 1))).isEmpty();
    assertThat(streamTableEvents(tables("False", 1), tables("False", 2)))
        .containsExactly("Warning StreamTablesInError: 2 in ERROR");
    assertThat(streamTableEvents(tables("False", 2), tables("False", 1))).isEmpty();
    assertThat(streamTableEvents(tables("False", 1), ok))
        .containsExactly("Normal StreamTablesHealthy: 0 in ERROR");
    assertThat(streamTableEvents(tables("False", 1), running()))
        .as("the database did not answer: no condition computed")
        .isEmpty();
  }

  private static StreamTableClusterStatus changeLog(String ready, String reason, String message) {
    StreamTableClusterStatus s = running();
    s.getConditions()
        .add(
            new ConditionBuilder()
                .withType(PipelineStatusCalculator.CHANGE_LOG_READY)
                .withStatus(ready)
                .withReason(reason)
                .withMessage(message)
                .build());
    return s;
  }

  private static List<String> copyEvents(
      StreamTableClusterStatus before, StreamTableClusterStatus after) {
    return PipelineEvents.changeLogCopies(before, after).stream()
        .map(e -> (e.warning() ? "Warning " : "Normal ") + e.reason() + ": " + e.message())
        .toList();
  }

  @Test
  void aChangeLogShortOfCopiesIsWarnedOnceAndItsRecoveryTold() {
    StreamTableClusterStatus ok = changeLog("True", "Available", "Kafka topics t and t.positions");
    StreamTableClusterStatus short_ = changeLog("True", "UnderReplicated", "t: Kafka: 1 of 2 ...");
    assertThat(copyEvents(null, ok)).isEmpty();
    assertThat(copyEvents(ok, ok)).isEmpty();
    assertThat(copyEvents(ok, short_))
        .containsExactly("Warning ChangeLogUnderReplicated: t: Kafka: 1 of 2 ...");
    assertThat(copyEvents(null, short_))
        .as("the operator restarted")
        .containsExactly("Warning ChangeLogUnderReplicated: t: Kafka: 1 of 2 ...");
    assertThat(copyEvents(short_, short_)).isEmpty();
    assertThat(copyEvents(short_, ok))
        .containsExactly(
            "Normal ChangeLogReplicated: Every copy in sync: Kafka topics t and t.positions");
    assertThat(copyEvents(short_, changeLog("False", "Unreachable", "cannot connect")))
        .as("not ready: the phase's Events tell it")
        .isEmpty();
    assertThat(copyEvents(changeLog("False", "Unreachable", "cannot connect"), ok)).isEmpty();
  }

  private static StreamTableClusterStatus withChangeLog(StreamTableClusterStatus s, boolean ready) {
    s.getConditions()
        .add(
            new ConditionBuilder()
                .withType(PipelineStatusCalculator.CHANGE_LOG_READY)
                .withStatus(ready ? "True" : "False")
                .withReason(ready ? "Available" : PipelineStatusCalculator.CHANGE_LOG_UNAVAILABLE)
                .build());
    return s;
  }

  @Test
  void theChangeLogIsAnnouncedWhenItFirstOpens() {
    StreamTableClusterStatus creating =
        withChangeLog(status(StreamTableClusterPhase.Creating, "CdcNotReady", null), true);
    StreamTableClusterStatus pending =
        withChangeLog(status(StreamTableClusterPhase.Pending, "ChangeLogUnavailable", null), false);
    assertThat(PipelineEvents.changeLogOpened(Memory.NONE, null, creating, T0)).isTrue();
    assertThat(PipelineEvents.changeLogOpened(Memory.NONE, pending, creating, T0)).isTrue();
    assertThat(PipelineEvents.changeLogOpened(Memory.NONE, creating, creating, T0))
        .as("already open")
        .isFalse();
  }

  /**
   * The primary is lost for seconds: the change log (in PostgreSQL) is unavailable, the status says
   * so, no Warning is given. Before, its return was announced as news ("Change log ready") of an
   * outage nobody had been told about.
   */
  @Test
  void aChangeLogBackAfterAShortOutageIsNotAnnounced() {
    Rounds r = new Rounds();
    StreamTableClusterStatus up = withChangeLog(running(), true);
    r.round(up, false, 0);
    StreamTableClusterStatus down = withChangeLog(degraded("ChangeLogUnavailable", 5), false);
    assertThat(r.round(down, false, 10)).isEmpty();
    assertThat(PipelineEvents.changeLogOpened(r.memory, r.last, up, T0.plusSeconds(20))).isFalse();
  }

  @Test
  void aChangeLogBackAfterAWarnedOutageIsAnnounced() {
    Rounds r = new Rounds();
    r.round(withChangeLog(running(), true), false, 0);
    StreamTableClusterStatus down = withChangeLog(degraded("ChangeLogUnavailable", 5), false);
    r.round(down, false, 10);
    assertThat(r.round(down, false, 70)).containsExactly("Warning ChangeLogUnavailable");
    StreamTableClusterStatus up = withChangeLog(running(), true);
    assertThat(PipelineEvents.changeLogOpened(r.memory, r.last, up, T0.plusSeconds(80))).isTrue();
  }

  @Test
  void afterAnOperatorRestartTheStatusTellsWhetherTheOutageWasWarned() {
    StreamTableClusterStatus up = withChangeLog(running(), true);
    StreamTableClusterStatus longDown = withChangeLog(degraded("ChangeLogUnavailable", 0), false);
    StreamTableClusterStatus shortDown =
        withChangeLog(degraded("ChangeLogUnavailable", 100), false);
    assertThat(PipelineEvents.changeLogOpened(Memory.NONE, longDown, up, T0.plusSeconds(120)))
        .isTrue();
    assertThat(PipelineEvents.changeLogOpened(Memory.NONE, shortDown, up, T0.plusSeconds(120)))
        .isFalse();
  }
}
