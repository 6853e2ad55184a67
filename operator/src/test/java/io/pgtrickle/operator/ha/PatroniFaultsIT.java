package io.pgtrickle.operator.ha;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgtrickle.operator.api.ClusterPhase;
import io.pgtrickle.operator.testbed.ContinuousWriter;
import io.pgtrickle.operator.testbed.HaCluster;
import io.pgtrickle.testbed.TestNamespace;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Faults under a continuous write load in synchronous mode: the primary crashing again and again
 * (the kubelet restarting each crashed container only after its back-off, so recovery rests on the
 * operator's fast failover, not on the restart), the old primary coming back as a replica of the
 * new one (pg_rewind where its WAL went further), and a replica lost and rejoining. Every write the
 * client saw acknowledged must be on the final primary.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PatroniFaultsIT {

  @RegisterExtension static final TestNamespace NAMESPACE = new TestNamespace();

  private static HaCluster ha;
  private static ContinuousWriter writer;

  @BeforeAll
  static void start() {
    ha =
        HaCluster.start(
            NAMESPACE.testBed(), NAMESPACE.name(), "faults", HaCluster.testedMajor(), true);
    writer = new ContinuousWriter(ha, "load");
  }

  @AfterAll
  static void stop() {
    if (writer != null) {
      writer.close();
    }
    if (ha != null) {
      ha.close();
    }
  }

  @Test
  @Order(1)
  void crashedPrimariesAreReplacedUnderWriteLoadWithoutLosingAcknowledgedWrites() {
    List<Double> recoveries = new ArrayList<>();
    Set<String> crashed = new HashSet<>();
    // Four crashes over three pods: at least one pod crashes twice, so its container stays down
    // for the kubelet's 10 s back-off and only a failover brings writes back.
    for (int round = 0; round < 4; round++) {
      ha.awaitReplicationHealthy(Duration.ofSeconds(120));
      await().atMost(HaCluster.OBJECTIVE).until(() -> writer.acknowledged().size() > 100);
      String old = ha.primaryPod();
      ha.clearPhases();
      Duration restartIn = ha.pods().crash(old);
      // Counted from the moment its processes are gone: a write in flight may still be
      // acknowledged while the kill is under way.
      long crashAt = System.nanoTime();
      crashed.add(old);
      await()
          .atMost(HaCluster.OBJECTIVE)
          .pollInterval(Duration.ofMillis(100))
          .until(() -> writer.secondsToFirstAckAfter(crashAt).isPresent());
      recoveries.add(writer.secondsToFirstAckAfter(crashAt).orElseThrow());
      if (!restartIn.isZero()) {
        // Its container waits out the back-off: a replica must have taken over.
        await()
            .atMost(Duration.ofSeconds(10))
            .untilAsserted(() -> assertThat(ha.primaryPod()).isNotEqualTo(old));
      }
      await()
          .atMost(HaCluster.OBJECTIVE)
          .untilAsserted(
              () ->
                  assertThat(ha.phasesSeen())
                      .containsAnyOf(ClusterPhase.Recovering, ClusterPhase.Degraded));
      // Back to three members before the next crash: in strict synchronous mode a primary
      // without a synchronous standby accepts no writes at all.
      ha.awaitReplicationHealthy(restartIn.plus(Duration.ofSeconds(120)));
    }
    System.out.println("crash-under-load recovery seconds: " + recoveries);
    assertThat(recoveries).allSatisfy(s -> assertThat(s).isLessThan(30.0));
    assertThat(ha.events(Set.of("LeaderReleased")))
        .as("the operator released a stopped primary's lock at least once")
        .isNotEmpty();
    assertEveryAcknowledgedWriteIsOnThePrimary();
  }

  @Test
  @Order(2)
  void theOldPrimaryRejoinsAsAReplicaOfTheNewOne() {
    String old = ha.primaryPod();
    String oldIp = ha.podIp(old);
    String target = ha.synchronousStandby();
    ha.requestSwitchover(target);
    await().atMost(HaCluster.OBJECTIVE).until(() -> target.equals(ha.primaryPod()));
    ha.awaitReplicationHealthy(Duration.ofSeconds(120));
    // The former primary follows the new timeline and replays what is written now.
    long marker = System.currentTimeMillis();
    ha.secondsUntilWritable("create table if not exists marker (at bigint)");
    ha.secondsUntilWritable("insert into marker values (" + marker + ")");
    await()
        .atMost(HaCluster.OBJECTIVE)
        .ignoreExceptions()
        .untilAsserted(
            () -> {
              try (Connection c = ha.connect(oldIp);
                  var rs =
                      c.createStatement()
                          .executeQuery(
                              "select pg_is_in_recovery(), (select count(*) from marker where at = "
                                  + marker
                                  + ")")) {
                rs.next();
                assertThat(rs.getBoolean(1)).as("%s is a replica now", old).isTrue();
                assertThat(rs.getLong(2)).isEqualTo(1);
              }
            });
    // Across the crashes above some former primary had WAL its successor never received, and
    // Patroni rewound it rather than recloning: every pod's log tells which.
    System.out.println("pods rewound by Patroni: " + ha.pods().podsWhoseLogMentions("pg_rewind"));
  }

  @Test
  @Order(3)
  void aLostReplicaRejoinsAndCatchesUp() {
    String primary = ha.primaryPod();
    String replica =
        ha.cluster().getMetadata().getName() + "-" + (primary.endsWith("-0") ? "1" : "0");
    ha.clearPhases();
    ha.deletePod(replica);
    await()
        .atMost(HaCluster.OBJECTIVE)
        .untilAsserted(() -> assertThat(ha.phasesSeen()).contains(ClusterPhase.Degraded));
    assertThat(ha.primaryPod()).as("losing a replica moves no primary").isEqualTo(primary);
    ha.awaitReplicationHealthy(Duration.ofSeconds(120));
    long count = ha.queryLong("select count(*) from load");
    await()
        .atMost(HaCluster.OBJECTIVE)
        .ignoreExceptions()
        .untilAsserted(
            () -> {
              try (Connection c = ha.connect(ha.podIp(replica));
                  var rs = c.createStatement().executeQuery("select count(*) from load")) {
                rs.next();
                assertThat(rs.getLong(1))
                    .as("the rejoined replica caught up")
                    .isGreaterThanOrEqualTo(count);
              }
            });
    assertEveryAcknowledgedWriteIsOnThePrimary();
  }

  /**
   * A replica whose Patroni is wedged (stopped, its PostgreSQL running on) is restarted by its
   * liveness probe, Patroni's {@code /liveness}, and streams again. The probe was {@code
   * pg_isready} before 2026-12-06: it passed for a wedged Patroni, and failed while Patroni
   * legitimately kept PostgreSQL down (a replica cloned or restored for longer than a minute),
   * killing the clone to start it over.
   */
  @Test
  @Order(4)
  void aWedgedPatroniIsRestartedByItsLivenessProbe() {
    ha.awaitReplicationHealthy(Duration.ofSeconds(120));
    String primary = ha.primaryPod();
    String replica =
        ha.cluster().getMetadata().getName() + "-" + (primary.endsWith("-0") ? "1" : "0");
    int restarts = restartCount(replica);
    assertThat(ha.pods().freeze(replica)).as("Patroni of " + replica + " stopped").isTrue();
    await("the kubelet restarts the wedged container")
        .atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofSeconds(1))
        .until(() -> restartCount(replica) > restarts);
    ha.awaitReplicationHealthy(Duration.ofSeconds(120));
    assertThat(ha.primaryPod()).as("a replica's restart moves no primary").isEqualTo(primary);
    assertEveryAcknowledgedWriteIsOnThePrimary();
  }

  private static int restartCount(String pod) {
    var statuses =
        NAMESPACE
            .client()
            .pods()
            .inNamespace(NAMESPACE.name())
            .withName(pod)
            .get()
            .getStatus()
            .getContainerStatuses();
    return statuses == null || statuses.isEmpty() || statuses.get(0).getRestartCount() == null
        ? 0
        : statuses.get(0).getRestartCount();
  }

  private static void assertEveryAcknowledgedWriteIsOnThePrimary() {
    List<Long> acked = writer.acknowledged();
    Set<Long> present = new HashSet<>();
    await()
        .atMost(HaCluster.OBJECTIVE)
        .ignoreExceptions()
        .until(
            () -> {
              try (Connection c = ha.connect(ha.primaryIp().orElseThrow());
                  var rs = c.createStatement().executeQuery("select id from load")) {
                present.clear();
                while (rs.next()) {
                  present.add(rs.getLong(1));
                }
                return true;
              } catch (SQLException e) {
                return false;
              }
            });
    List<Long> lost = acked.stream().filter(id -> !present.contains(id)).toList();
    System.out.println(
        "acknowledged writes: " + acked.size() + ", lost: " + lost.size() + " " + lost);
    assertThat(lost).as("acknowledged writes missing on the primary").isEmpty();
  }
}
