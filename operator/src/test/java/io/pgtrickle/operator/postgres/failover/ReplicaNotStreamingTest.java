package io.pgtrickle.operator.postgres.failover;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Pod;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Member data as Patroni 4.1 publishes it in the pods' {@code status} annotations. */
class ReplicaNotStreamingTest {

  private static final Instant T0 = Instant.parse("2026-12-03T10:00:00Z");

  private static Pod pod(String name, String uid, String status, boolean ready) {
    return MemberPods.pod(name, uid, status, false, ready);
  }

  private static String primary() {
    return "{\"state\":\"running\",\"role\":\"primary\",\"xlog_location\":50331816,\"timeline\":2}";
  }

  private static String replica(String replicationState) {
    return "{\"state\":\"running\",\"role\":\"replica\",\"xlog_location\":50331648"
        + (replicationState == null ? "" : ",\"replication_state\":\"" + replicationState + "\"")
        + ",\"timeline\":2}";
  }

  @Test
  void aReadyReplicaWithoutAWalReceiverIsNamedWithBothPositions() {
    var seen =
        ReplicaNotStreaming.among(
                List.of(
                    pod("db-2", "u2", replica("in archive recovery"), true),
                    pod("db-0", "u0", primary(), true),
                    pod("db-1", "u1", replica("streaming"), true)))
            .orElseThrow();
    assertThat(seen.primary()).isEqualTo("db-0");
    assertThat(seen.notStreaming()).extracting(ReplicaNotStreaming::pod).containsExactly("db-2");
    assertThat(seen.notStreaming().get(0).describe())
        .isEqualTo(
            "db-2 has not streamed from the primary db-0 for over 60 s (in archive recovery; at"
                + " 0/3000000 on timeline 2, the primary at 0/30000A8 on timeline 2)");
  }

  @Test
  void noReplicationStateMeansNoWalReceiver() {
    var seen =
        ReplicaNotStreaming.among(
                List.of(pod("db-0", "u0", primary(), true), pod("db-1", "u1", replica(null), true)))
            .orElseThrow();
    assertThat(seen.notStreaming().get(0).replicationState()).isEqualTo("no WAL receiver");
  }

  @Test
  void streamingReplicasAreNotReported() {
    var seen =
        ReplicaNotStreaming.among(
                List.of(
                    pod("db-0", "u0", primary(), true),
                    pod("db-1", "u1", replica("streaming"), true)))
            .orElseThrow();
    assertThat(seen.notStreaming()).isEmpty();
  }

  /**
   * Replicas down (not ready, or not run by Patroni as replicas) do not stream either: before, only
   * ready running replicas were looked at, and a cluster with every replica down read "Every ready
   * replica streams from the primary".
   */
  @Test
  void replicasThatAreDownAreReportedWithTheirState() {
    var seen =
        ReplicaNotStreaming.among(
                List.of(
                    pod("db-0", "u0", primary(), true),
                    pod("db-1", "u1", replica("streaming"), false),
                    pod(
                        "db-2",
                        "u2",
                        "{\"state\":\"starting\",\"role\":\"replica\",\"timeline\":2}",
                        false)))
            .orElseThrow();
    assertThat(seen.notStreaming())
        .extracting(ReplicaNotStreaming::pod, ReplicaNotStreaming::replicationState)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("db-1", "Patroni replica running, pod not ready"),
            org.assertj.core.groups.Tuple.tuple("db-2", "Patroni replica starting, pod not ready"));
  }

  @Test
  void withoutOneReadyRunningPrimaryNothingIsSaid() {
    assertThat(
            ReplicaNotStreaming.among(
                List.of(
                    pod("db-0", "u0", primary(), false), pod("db-1", "u1", replica(null), true))))
        .isEmpty();
    assertThat(
            ReplicaNotStreaming.among(
                List.of(
                    pod("db-0", "u0", primary(), true),
                    pod("db-1", "u1", primary(), true),
                    pod("db-2", "u2", replica(null), true))))
        .isEmpty();
  }

  @Test
  void theWatchReportsAReplicaOnlyAfterTheGraceAndStartsOverWhenItStreams() {
    StreamingWatch watch = new StreamingWatch();
    List<Pod> stuck =
        List.of(pod("db-0", "u0", primary(), true), pod("db-1", "u1", replica(null), true));
    List<Pod> streaming =
        List.of(pod("db-0", "u0", primary(), true), pod("db-1", "u1", replica("streaming"), true));
    var notStreaming = ReplicaNotStreaming.among(stuck).orElseThrow().notStreaming();

    assertThat(watch.observe("ns/db", notStreaming, T0)).isEmpty();
    assertThat(watch.observe("ns/db", notStreaming, T0.plusSeconds(59))).isEmpty();
    assertThat(watch.observe("ns/db", notStreaming, T0.plus(StreamingWatch.GRACE)))
        .extracting(l -> l.replica().pod(), StreamingWatch.Lasting::duration)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("db-1", Duration.ofSeconds(60)));

    // Streaming again, then stuck again: the wait starts over.
    assertThat(
            watch.observe(
                "ns/db",
                ReplicaNotStreaming.among(streaming).orElseThrow().notStreaming(),
                T0.plusSeconds(70)))
        .isEmpty();
    assertThat(watch.observe("ns/db", notStreaming, T0.plusSeconds(80))).isEmpty();
    assertThat(watch.observe("ns/db", notStreaming, T0.plusSeconds(139))).isEmpty();
    assertThat(watch.observe("ns/db", notStreaming, T0.plusSeconds(140))).hasSize(1);

    // A recreated pod (another UID) is a new observation.
    var recreated =
        ReplicaNotStreaming.among(
                List.of(pod("db-0", "u0", primary(), true), pod("db-1", "u9", replica(null), true)))
            .orElseThrow()
            .notStreaming();
    assertThat(watch.observe("ns/db", recreated, T0.plusSeconds(150))).isEmpty();
  }

  @Test
  void theConditionIsFalseNamingEachReplicaPastTheGraceAndTrueOtherwise() {
    var replica =
        ReplicaNotStreaming.among(
                List.of(pod("db-0", "u0", primary(), true), pod("db-1", "u1", replica(null), true)))
            .orElseThrow()
            .notStreaming()
            .get(0);
    List<Condition> stuck =
        ReplicasStreaming.with(
            List.of(),
            "db-0",
            List.of(new StreamingWatch.Lasting(replica, Duration.ofSeconds(75))),
            3,
            T0);
    assertThat(stuck)
        .singleElement()
        .satisfies(
            c -> {
              assertThat(c.getType()).isEqualTo("ReplicasStreaming");
              assertThat(c.getStatus()).isEqualTo("False");
              assertThat(c.getReason()).isEqualTo("ReplicaNotStreaming");
              assertThat(c.getMessage()).startsWith("db-1 has not streamed from the primary db-0");
            });
    List<Condition> healed =
        ReplicasStreaming.with(stuck, "db-0", List.of(), 3, T0.plusSeconds(30));
    assertThat(healed)
        .singleElement()
        .satisfies(
            c -> {
              assertThat(c.getStatus()).isEqualTo("True");
              assertThat(c.getReason()).isEqualTo("AllReplicasStreaming");
              assertThat(c.getLastTransitionTime()).isEqualTo("2026-12-03T10:00:30Z");
            });
  }
}
