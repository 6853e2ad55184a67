package io.pgtrickle.operator.ha;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.pgtrickle.operator.api.ClusterPhase;
import io.pgtrickle.operator.postgres.ClusterNames;
import io.pgtrickle.operator.postgres.failover.DivergedReplica;
import io.pgtrickle.operator.postgres.patroni.PatroniClient;
import io.pgtrickle.operator.postgres.spec.ClusterServices;
import io.pgtrickle.operator.testbed.HaCluster;
import io.pgtrickle.testbed.TestNamespace;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Faults of the primary with real Patroni and PostgreSQL behind the pods, in synchronous mode
 * (Patroni {@code synchronous_mode_strict}): after each, a primary accepts writes through what
 * {@code NAME-primary} selects within 30 s (the ticket's objective), no acknowledged write is lost,
 * the phase passes through Recovering or Degraded back to Running, and an Event records the change
 * of primary. (Asynchronous replication may lose the last writes in a failover by design; an early
 * run of this test in that mode lost one.)
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PatroniFailoverIT {

  @RegisterExtension static final TestNamespace NAMESPACE = new TestNamespace();
  private static final Set<String> FAILOVER_EVENTS = Set.of("Failover", "PrimaryLost");

  private static HaCluster ha;

  /** The ids whose insert the primary acknowledged, in every test of this class. */
  private static final Set<Long> ACKNOWLEDGED = new java.util.concurrent.ConcurrentSkipListSet<>();

  @BeforeAll
  static void start() {
    ha =
        HaCluster.start(NAMESPACE.testBed(), NAMESPACE.name(), "ha", HaCluster.testedMajor(), true);
    ha.secondsUntilWritable("create table acked (id bigint primary key)");
  }

  @AfterAll
  static void stop() {
    if (ha != null) {
      ha.close();
    }
  }

  /** Waits until the phase left Running for Recovering or Degraded, then came back. */
  private static void awaitRecoveredThroughAFaultPhase() {
    // The new primary can be writable before the operator has even seen the fault, so wait for
    // the phase to leave Running first; only then does "back to Running" mean anything.
    await()
        .atMost(HaCluster.OBJECTIVE)
        .untilAsserted(
            () ->
                assertThat(ha.phasesSeen())
                    .as("the phase went through Recovering or Degraded")
                    .containsAnyOf(ClusterPhase.Recovering, ClusterPhase.Degraded));
    ha.awaitReplicationHealthy(Duration.ofSeconds(120));
  }

  @Test
  @Order(1)
  void deletingThePrimaryPodElectsANewPrimaryWithin30Seconds() {
    List<Double> times = new ArrayList<>();
    for (int round = 0; round < 2; round++) {
      // The objective presumes a healthy cluster: in strict synchronous mode only the synchronous
      // standby Patroni recorded may take over, and right after the start it may not be recorded
      // yet (a CI run of 2026-12-06 deleted the primary then; no replica could take over, and the
      // recreated pod became primary again after more than 30 s).
      ha.awaitReplicationHealthy(Duration.ofSeconds(120));
      String old = ha.primaryPod();
      int eventsBefore = ha.events(FAILOVER_EVENTS).size();
      ha.clearPhases();
      ha.deletePod(old);
      times.add(acknowledgedWrite(1000 + round));
      awaitRecoveredThroughAFaultPhase();
      await()
          .atMost(HaCluster.OBJECTIVE)
          .untilAsserted(
              () -> assertThat(ha.events(FAILOVER_EVENTS)).hasSizeGreaterThan(eventsBefore));
    }
    System.out.println("delete-primary recovery seconds: " + times);
  }

  @Test
  @Order(2)
  void crashingThePrimaryRecoversWithin30Seconds() {
    List<Double> times = new ArrayList<>();
    for (int round = 0; round < 2; round++) {
      ha.awaitReplicationHealthy(Duration.ofSeconds(120));
      String old = ha.primaryPod();
      ha.clearPhases();
      ha.pods().crash(old);
      // A pod crashing a second time stays down for the kubelet's back-off (10 s): a replica
      // takes over once the operator released the stopped primary's lock.
      times.add(acknowledgedWrite(2000 + round));
      awaitRecoveredThroughAFaultPhase();
    }
    System.out.println("crash recovery seconds: " + times);
    // The writes this class saw acknowledged, not a count: an earlier test that timed out may
    // leave one more row (its last attempt committed after the wait gave up) or one fewer.
    assertThat(ha.queryLong("select count(*) from acked where id = any('" + idArray() + "')"))
        .as("every acknowledged write survived: " + ACKNOWLEDGED)
        .isEqualTo(ACKNOWLEDGED.size());
    assertThat(ha.events(Set.of("SwitchoverCompleted")))
        .as("no failover is reported as a switchover")
        .isEmpty();
  }

  @Test
  @Order(3)
  void switchoverOnRequestMovesThePrimary() throws Exception {
    // In synchronous mode Patroni hands over only to the synchronous standby.
    String target = ha.synchronousStandby();
    String old = ha.primaryPod();
    int failoverEvents = ha.events(FAILOVER_EVENTS).size();
    ha.requestSwitchover(target);
    await()
        .atMost(HaCluster.OBJECTIVE)
        .untilAsserted(() -> assertThat(ha.primaryPod()).isEqualTo(target));
    acknowledgedWrite(3000);
    ha.awaitRunning(Duration.ofSeconds(120));
    assertThat(ha.events(Set.of("Switchover"))).anyMatch(m -> m.contains("to " + target));
    // The move of the primary reads as the switchover it was, not as a failover.
    await()
        .atMost(HaCluster.OBJECTIVE)
        .untilAsserted(
            () ->
                assertThat(ha.events(Set.of("SwitchoverCompleted")))
                    .contains(
                        "SwitchoverCompleted: Primary moved from "
                            + old
                            + " to "
                            + target
                            + " by switchover"));
    assertThat(ha.events(FAILOVER_EVENTS))
        .as("no Failover or PrimaryLost Event for a switchover")
        .hasSize(failoverEvents);
    await()
        .atMost(HaCluster.OBJECTIVE)
        .untilAsserted(
            () ->
                assertThat(ha.cluster().getMetadata().getAnnotations())
                    .as("a settled request is removed")
                    .doesNotContainKey("postgres.example.com/switchover-to"));
    // Asked again for the member that is the primary now: settled at once, and said so.
    ha.requestSwitchover(target);
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () -> {
              assertThat(ha.events(Set.of("SwitchoverNotNeeded")))
                  .contains(
                      "SwitchoverNotNeeded: Switchover to "
                          + target
                          + " not needed: it is the"
                          + " primary");
              assertThat(ha.cluster().getMetadata().getAnnotations())
                  .doesNotContainKey("postgres.example.com/switchover-to");
            });
    assertThat(ha.primaryPod()).isEqualTo(target);
    // Replicas report what they need to the primary (the operator's default), so copies of
    // logical slots on them survive recovery conflicts.
    try (Connection replica = ha.connect(ha.podIp(old));
        java.sql.Statement st = replica.createStatement();
        java.sql.ResultSet rs =
            st.executeQuery(
                "select pg_is_in_recovery(), current_setting('hot_standby_feedback')")) {
      rs.next();
      assertThat(rs.getBoolean(1)).as("%s is a replica", old).isTrue();
      assertThat(rs.getString(2)).isEqualTo("on");
    }
  }

  @Test
  @Order(4)
  void aSwitchoverPatroniRefusesIsReportedAndDropped() {
    ha.awaitReplicationHealthy(Duration.ofSeconds(120));
    String primary = ha.primaryPod();
    String sync = ha.patroniSyncStandby().orElseThrow();
    String asynchronous =
        java.util.stream.IntStream.range(0, 3)
            .mapToObj(i -> "ha-" + i)
            .filter(p -> !p.equals(primary) && !p.equals(sync))
            .findFirst()
            .orElseThrow();
    ha.requestSwitchover(asynchronous);
    await()
        .atMost(HaCluster.OBJECTIVE)
        .untilAsserted(
            () ->
                assertThat(ha.events(Set.of("SwitchoverRefused")))
                    .anyMatch(m -> m.contains("to " + asynchronous + " refused")));
    await()
        .atMost(HaCluster.OBJECTIVE)
        .untilAsserted(
            () ->
                assertThat(ha.cluster().getMetadata().getAnnotations())
                    .doesNotContainKey("postgres.example.com/switchover-to"));
    assertThat(ha.primaryPod()).isEqualTo(primary);
  }

  /**
   * The detection of a diverged replica ({@link DivergedReplica}) reads Patroni's member data from
   * the pods' {@code status} annotations: real Patroni publishes every field it needs, a healthy
   * cluster shows no divergence, and the remedy, Patroni's {@code POST /reinitialize} as the
   * operator calls it, clones a replica again from the primary, after which it streams with every
   * acknowledged row. (The divergence itself needs two crashes of one primary within a second or
   * so, see DivergedReplicaTest; it is not made on purpose here.)
   */
  @Test
  @Order(5)
  void aReplicaReinitialisedAsTheOperatorDoesStreamsAgainWithEveryRow() throws Exception {
    ha.awaitReplicationHealthy(Duration.ofSeconds(120));
    KubernetesClient client = NAMESPACE.testBed().client();
    List<Pod> pods =
        java.util.stream.IntStream.range(0, 3)
            .mapToObj(i -> client.pods().inNamespace(NAMESPACE.name()).withName("ha-" + i).get())
            .toList();
    String primary = ha.primaryPod();
    KubernetesSerialization json = new KubernetesSerialization();
    for (Pod pod : pods) {
      Map<?, ?> member =
          json.unmarshal(
              pod.getMetadata().getAnnotations().get(DivergedReplica.STATUS_ANNOTATION), Map.class);
      boolean isPrimary = pod.getMetadata().getName().equals(primary);
      assertThat(member.get("role")).isEqualTo(isPrimary ? "primary" : "replica");
      assertThat(member.get("state")).isEqualTo("running");
      assertThat(member.get("timeline")).isInstanceOf(Number.class);
      assertThat(member.get("xlog_location")).isInstanceOf(Number.class);
      if (!isPrimary) {
        assertThat(member.get("replication_state")).isEqualTo("streaming");
      }
    }
    assertThat(DivergedReplica.among(pods)).isEmpty();

    // Reinitialise the asynchronous replica (the synchronous one holds writes in strict mode).
    String sync = ha.patroniSyncStandby().orElseThrow();
    String replica =
        pods.stream()
            .map(p -> p.getMetadata().getName())
            .filter(p -> !p.equals(primary) && !p.equals(sync))
            .findFirst()
            .orElseThrow();
    String replicaIp = ha.podIp(replica);
    String startedBefore = startTime(replicaIp);
    long rows = ha.queryLong("select count(*) from acked");
    PatroniClient.Login login =
        io.pgtrickle.operator.postgres.credentials.PatroniLogins.of(
            client
                .secrets()
                .inNamespace(NAMESPACE.name())
                .withName(ClusterNames.appliedCredentialsSecret(ha.cluster()))
                .get(),
            client
                .secrets()
                .inNamespace(NAMESPACE.name())
                .withName(ClusterNames.replicationSecret(ha.cluster()))
                .get());
    new PatroniClient()
        .reinitialize(
            new PatroniClient.Target(
                replicaIp,
                ClusterServices.PATRONI_PORT,
                login.username(),
                login.password(),
                login.previousPassword()));
    await()
        .atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofSeconds(1))
        .ignoreExceptions()
        .until(() -> !startTime(replicaIp).equals(startedBefore));
    ha.awaitReplicationHealthy(Duration.ofSeconds(120));
    await()
        .atMost(Duration.ofSeconds(30))
        .ignoreExceptions()
        .untilAsserted(
            () -> {
              try (Connection c = ha.connect(replicaIp);
                  var rs = c.createStatement().executeQuery("select count(*) from acked")) {
                rs.next();
                assertThat(rs.getLong(1)).isEqualTo(rows);
              }
            });
  }

  /** Inserts {@code id} through the primary Service; the seconds until it was acknowledged. */
  private static double acknowledgedWrite(long id) {
    double seconds = ha.secondsUntilWritable("insert into acked values (" + id + ")");
    ACKNOWLEDGED.add(id);
    return seconds;
  }

  private static String idArray() {
    return ACKNOWLEDGED.stream()
        .map(String::valueOf)
        .collect(java.util.stream.Collectors.joining(",", "{", "}"));
  }

  private static String startTime(String ip) throws Exception {
    try (Connection c = ha.connect(ip);
        var rs = c.createStatement().executeQuery("select pg_postmaster_start_time()::text")) {
      rs.next();
      return rs.getString(1);
    }
  }
}
