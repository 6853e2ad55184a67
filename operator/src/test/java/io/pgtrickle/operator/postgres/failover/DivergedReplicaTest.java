package io.pgtrickle.operator.postgres.failover;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Pod;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The member data below is what Patroni 4.1 wrote into the pods' {@code status} annotations in the
 * CI run where TlsIT.failoverWorksWithTlsOn found secure-0 unable to stream after two crashes: it
 * wanted 0/6000000 on timeline 2, the new primary secure-2 was at 0/4019180 on timeline 2.
 */
class DivergedReplicaTest {

  private static final long PRIMARY_AT = 0x4019180L;
  private static final long DIVERGED_AT = 0x60000B8L;

  private static Pod pod(String name, String uid, String status, boolean deleting) {
    return pod(name, uid, status, deleting, true);
  }

  private static Pod pod(String name, String uid, String status, boolean deleting, boolean ready) {
    return MemberPods.pod(name, uid, status, deleting, ready);
  }

  private static String primary(long timeline, long position) {
    return "{\"conn_url\":\"postgres://x:5432/postgres\",\"state\":\"running\",\"role\":\"primary\","
        + "\"version\":\"4.1.5\",\"xlog_location\":"
        + position
        + ",\"timeline\":"
        + timeline
        + "}";
  }

  private static String replica(long timeline, long position, String replicationState) {
    return "{\"state\":\"running\",\"role\":\"replica\",\"version\":\"4.1.5\",\"xlog_location\":"
        + position
        + ",\"replay_lsn\":"
        + position
        + (replicationState == null ? "" : ",\"replication_state\":\"" + replicationState + "\"")
        + ",\"timeline\":"
        + timeline
        + "}";
  }

  private static List<Pod> cluster(String divergedStatus) {
    return List.of(
        pod("secure-0", "uid-0", divergedStatus, false),
        pod("secure-1", "uid-1", replica(2, PRIMARY_AT, "streaming"), false),
        pod("secure-2", "uid-2", primary(2, PRIMARY_AT), false));
  }

  @Test
  void aReplicaPastThePrimaryOnTheSameTimelineThatDoesNotStreamHasDiverged() {
    Optional<DivergedReplica> found = DivergedReplica.among(cluster(replica(2, DIVERGED_AT, null)));
    assertThat(found)
        .contains(new DivergedReplica("secure-0", "uid-0", 2, DIVERGED_AT, "secure-2", PRIMARY_AT));
    assertThat(found.get().describe())
        .isEqualTo(
            "secure-0 is at 0/60000B8 on timeline 2, past the primary secure-2 at 0/4019180 on the"
                + " same timeline number: their histories diverged and it cannot stream");
  }

  @Test
  void replicasBehindOrLevelWithThePrimaryOrStreamingOrOnAnotherTimelineHaveNot() {
    assertThat(DivergedReplica.among(cluster(replica(2, PRIMARY_AT, null)))).isEmpty();
    assertThat(DivergedReplica.among(cluster(replica(2, PRIMARY_AT - 8, null)))).isEmpty();
    // Streaming: it is ahead only of the primary's last published figure.
    assertThat(DivergedReplica.among(cluster(replica(2, DIVERGED_AT, "streaming")))).isEmpty();
    // Another timeline number: Patroni's own pg_rewind check handles those.
    assertThat(DivergedReplica.among(cluster(replica(1, DIVERGED_AT, null)))).isEmpty();
    assertThat(DivergedReplica.among(cluster(replica(3, DIVERGED_AT, null)))).isEmpty();
  }

  @Test
  void nothingIsConcludedWithoutARunningPrimaryOrWhatPatroniPublished() {
    String diverged = replica(2, DIVERGED_AT, null);
    assertThat(
            DivergedReplica.among(
                List.of(
                    pod("a-0", "u0", diverged, false),
                    pod("a-1", "u1", primary(2, PRIMARY_AT).replace("running", "stopped"), false))))
        .isEmpty();
    assertThat(
            DivergedReplica.among(
                List.of(pod("a-0", "u0", diverged, false), pod("a-1", "u1", "", false))))
        .isEmpty();
    assertThat(
            DivergedReplica.among(
                List.of(pod("a-0", "u0", diverged, false), pod("a-1", "u1", "not json", false))))
        .isEmpty();
    // The primary's data without a timeline (Patroni omits it when it could not read one).
    assertThat(
            DivergedReplica.among(
                List.of(
                    pod("a-0", "u0", diverged, false),
                    pod(
                        "a-1",
                        "u1",
                        "{\"state\":\"running\",\"role\":\"primary\",\"xlog_location\":1}",
                        false))))
        .isEmpty();
    // A crashed primary keeps its last member data (running primary) while unready: only the
    // ready one counts; two that both look primary and ready settle nothing.
    assertThat(
            DivergedReplica.among(
                List.of(
                    pod("a-0", "u0", primary(2, PRIMARY_AT - 100), false, false),
                    pod("a-1", "u1", replica(2, DIVERGED_AT, null), false),
                    pod("a-2", "u2", primary(2, PRIMARY_AT), false))))
        .map(DivergedReplica::primary)
        .contains("a-2");
    assertThat(
            DivergedReplica.among(
                List.of(
                    pod("a-0", "u0", primary(2, PRIMARY_AT), false),
                    pod("a-1", "u1", replica(2, DIVERGED_AT, null), false),
                    pod("a-2", "u2", primary(2, PRIMARY_AT), false))))
        .isEmpty();
    assertThat(
            DivergedReplica.among(
                List.of(
                    pod("a-0", "u0", diverged, false),
                    pod("a-1", "u1", primary(2, PRIMARY_AT), false, false))))
        .isEmpty();
    // A replica being deleted is left alone.
    assertThat(
            DivergedReplica.among(
                List.of(
                    pod("a-0", "u0", diverged, true),
                    pod("a-1", "u1", primary(2, PRIMARY_AT), false))))
        .isEmpty();
  }

  @Test
  void theWatchConfirmsOnlyADivergenceThatPersistedForTheGrace() {
    DivergenceWatch watch = new DivergenceWatch();
    DivergedReplica replica =
        new DivergedReplica("secure-0", "uid-0", 2, DIVERGED_AT, "secure-2", PRIMARY_AT);
    Instant t0 = Instant.parse("2026-12-03T02:22:00Z");
    assertThat(watch.observe("ns/secure", Optional.of(replica), t0)).isEmpty();
    assertThat(watch.observe("ns/secure", Optional.of(replica), t0.plusSeconds(29))).isEmpty();
    assertThat(watch.observe("ns/secure", Optional.of(replica), t0.plus(DivergenceWatch.GRACE)))
        .contains(replica);

    // One observation without it starts over.
    assertThat(watch.observe("ns/secure", Optional.empty(), t0.plusSeconds(31))).isEmpty();
    assertThat(watch.observe("ns/secure", Optional.of(replica), t0.plusSeconds(32))).isEmpty();
    assertThat(watch.observe("ns/secure", Optional.of(replica), t0.plusSeconds(62))).isPresent();

    // Another pod (a recreated one, another UID) starts over; so does another cluster's key.
    DivergedReplica recreated =
        new DivergedReplica("secure-0", "uid-9", 2, DIVERGED_AT, "secure-2", PRIMARY_AT);
    assertThat(watch.observe("ns/secure", Optional.of(recreated), t0.plusSeconds(63))).isEmpty();
    assertThat(watch.observe("ns/other", Optional.of(replica), t0.plusSeconds(100))).isEmpty();
    watch.forget("ns/secure");
    assertThat(watch.observe("ns/secure", Optional.of(recreated), t0.plusSeconds(101))).isEmpty();
    assertThat(
            watch.observe(
                "ns/secure",
                Optional.of(recreated),
                t0.plusSeconds(101).plus(Duration.ofSeconds(30))))
        .isPresent();
  }
}
