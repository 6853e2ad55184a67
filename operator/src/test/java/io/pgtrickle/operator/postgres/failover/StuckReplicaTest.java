package io.pgtrickle.operator.postgres.failover;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Pod;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Member data as Patroni 4.1 publishes it in the pods' {@code status} annotations. */
class StuckReplicaTest {

  private static final Instant T0 = Instant.parse("2026-12-07T10:00:00Z");
  private static final Duration GRACE = Duration.ofMinutes(5);

  private static Pod pod(String name, String uid, String status) {
    return MemberPods.pod(name, uid, status, false, true);
  }

  private static String primary(long position, int timeline) {
    return "{\"state\":\"running\",\"role\":\"primary\",\"xlog_location\":"
        + position
        + ",\"timeline\":"
        + timeline
        + "}";
  }

  private static String replica(String state, long position, Integer timeline) {
    return "{\"state\":\"running\",\"role\":\"replica\",\"xlog_location\":"
        + position
        + (state == null ? "" : ",\"replication_state\":\"" + state + "\"")
        + (timeline == null ? "" : ",\"timeline\":" + timeline)
        + "}";
  }

  @Test
  void aReplicaBehindThePrimaryWithoutAWalReceiverIsNamedWithBothPositions() {
    List<StuckReplica> seen =
        StuckReplica.among(
            List.of(
                pod("db-0", "u0", replica(null, 358_532_536L, 5)),
                pod("db-1", "u1", primary(400_000_000L, 6)),
                pod("db-2", "u2", replica("streaming", 399_000_000L, 6))));
    assertThat(seen).extracting(StuckReplica::pod).containsExactly("db-0");
    assertThat(seen.get(0).describe())
        .isEqualTo(
            "db-0 does not stream from the primary db-1 and has not moved past 0/155EC5B8 on"
                + " timeline 5 (no WAL receiver; the primary at 0/17D78400 on timeline 6)");
  }

  @Test
  void behindMeansAnOlderTimelineOrLowerOnTheSameOne() {
    assertThat(StuckReplica.behind(5L, 900, 6, 100)).isTrue();
    assertThat(StuckReplica.behind(6L, 99, 6, 100)).isTrue();
    assertThat(StuckReplica.behind(null, 99, 6, 100)).isTrue();
    // Level: nothing a clone would change (one that cannot log in could not clone either).
    assertThat(StuckReplica.behind(6L, 100, 6, 100)).isFalse();
    assertThat(StuckReplica.behind(null, 100, 6, 100)).isFalse();
    // Past the primary on its timeline: DivergedReplica's; on a newer one: not a replica of it.
    assertThat(StuckReplica.behind(6L, 101, 6, 100)).isFalse();
    assertThat(StuckReplica.behind(7L, 1, 6, 100)).isFalse();
  }

  @Test
  void nothingWithoutOneReadyRunningPrimary() {
    assertThat(StuckReplica.among(List.of(pod("db-0", "u0", replica(null, 1, 1))))).isEmpty();
    assertThat(
            StuckReplica.among(
                List.of(
                    MemberPods.pod("db-1", "u1", primary(100, 1), false, false),
                    pod("db-0", "u0", replica(null, 1, 1)))))
        .isEmpty();
  }

  @Test
  void aMemberPatroniDoesNotRunAsAReplicaIsNotOne() {
    String starting = "{\"state\":\"starting\",\"role\":\"replica\",\"xlog_location\":1}";
    assertThat(
            StuckReplica.among(
                List.of(pod("db-1", "u1", primary(100, 1)), pod("db-0", "u0", starting))))
        .isEmpty();
  }

  @Test
  void confirmedOnlyOnceItHasNotMovedForTheGracePeriod() {
    StuckWatch watch = new StuckWatch();
    List<Pod> stuck =
        List.of(pod("db-1", "u1", primary(500, 2)), pod("db-0", "u0", replica(null, 100, 1)));
    assertThat(watch.observe("ns/db", StuckReplica.among(stuck), GRACE, T0)).isEmpty();
    assertThat(
            watch.observe(
                "ns/db", StuckReplica.among(stuck), GRACE, T0.plus(GRACE).minusSeconds(1)))
        .isEmpty();
    Optional<StuckReplica> confirmed =
        watch.observe("ns/db", StuckReplica.among(stuck), GRACE, T0.plus(GRACE));
    assertThat(confirmed).map(StuckReplica::pod).contains("db-0");
  }

  @Test
  void aReplicaThatMovesStartsOver() {
    StuckWatch watch = new StuckWatch();
    List<Pod> at100 =
        List.of(pod("db-1", "u1", primary(500, 2)), pod("db-0", "u0", replica(null, 100, 2)));
    List<Pod> at200 =
        List.of(pod("db-1", "u1", primary(500, 2)), pod("db-0", "u0", replica(null, 200, 2)));
    watch.observe("ns/db", StuckReplica.among(at100), GRACE, T0);
    watch.observe("ns/db", StuckReplica.among(at200), GRACE, T0.plusSeconds(200));
    assertThat(watch.observe("ns/db", StuckReplica.among(at200), GRACE, T0.plus(GRACE))).isEmpty();
    assertThat(
            watch.observe(
                "ns/db", StuckReplica.among(at200), GRACE, T0.plus(GRACE).plusSeconds(200)))
        .isPresent();
  }

  @Test
  void aReplicaThatStreamsOrARecreatedPodStartsOver() {
    StuckWatch watch = new StuckWatch();
    List<Pod> stuck =
        List.of(pod("db-1", "u1", primary(500, 2)), pod("db-0", "u0", replica(null, 100, 2)));
    List<Pod> recreated =
        List.of(pod("db-1", "u1", primary(500, 2)), pod("db-0", "u9", replica(null, 100, 2)));
    watch.observe("ns/db", StuckReplica.among(stuck), GRACE, T0);
    watch.observe("ns/db", List.of(), GRACE, T0.plusSeconds(10));
    assertThat(watch.observe("ns/db", StuckReplica.among(stuck), GRACE, T0.plus(GRACE))).isEmpty();
    assertThat(
            watch.observe(
                "ns/db", StuckReplica.among(recreated), GRACE, T0.plus(GRACE).plusSeconds(20)))
        .isEmpty();
  }

  @Test
  void eachReinitialisationOfAPodDoublesTheWaitBeforeItsNextUpToSixteenTimes() {
    StuckWatch watch = new StuckWatch();
    List<Pod> stuck =
        List.of(pod("db-1", "u1", primary(500, 2)), pod("db-0", "u0", replica(null, 100, 2)));
    Instant t = T0;
    for (int n = 0; n <= StuckWatch.MAX_DOUBLINGS + 1; n++) {
      Duration wait = GRACE.multipliedBy(1L << Math.min(n, StuckWatch.MAX_DOUBLINGS));
      assertThat(watch.graceFor("ns/db", "db-0", GRACE, t)).isEqualTo(wait);
      watch.observe("ns/db", StuckReplica.among(stuck), GRACE, t);
      assertThat(
              watch.observe(
                  "ns/db", StuckReplica.among(stuck), GRACE, t.plus(wait).minusSeconds(1)))
          .as("reinitialised %d times: not before %s", n, wait)
          .isEmpty();
      t = t.plus(wait);
      assertThat(watch.observe("ns/db", StuckReplica.among(stuck), GRACE, t)).isPresent();
      assertThat(watch.reinitialised("ns/db", "db-0", t)).isEqualTo(n + 1);
    }
    // Another pod, and another cluster, wait the plain grace period.
    assertThat(watch.graceFor("ns/db", "db-2", GRACE, t)).isEqualTo(GRACE);
    assertThat(watch.graceFor("ns/other", "db-0", GRACE, t)).isEqualTo(GRACE);
  }

  @Test
  void reinitialisationsOlderThanTheWindowNoLongerCount() {
    StuckWatch watch = new StuckWatch();
    watch.reinitialised("ns/db", "db-0", T0);
    watch.reinitialised("ns/db", "db-0", T0.plus(Duration.ofHours(1)));
    assertThat(watch.graceFor("ns/db", "db-0", GRACE, T0.plus(Duration.ofHours(2))))
        .isEqualTo(GRACE.multipliedBy(4));
    assertThat(
            watch.graceFor(
                "ns/db", "db-0", GRACE, T0.plus(StuckWatch.BACK_OFF_WINDOW).plusSeconds(1)))
        .isEqualTo(GRACE.multipliedBy(2));
    assertThat(watch.reinitialised("ns/db", "db-0", T0.plus(Duration.ofHours(8)))).isEqualTo(1);
    watch.forget("ns/db");
    assertThat(watch.graceFor("ns/db", "db-0", GRACE, T0.plus(Duration.ofHours(8))))
        .isEqualTo(GRACE);
  }
}
