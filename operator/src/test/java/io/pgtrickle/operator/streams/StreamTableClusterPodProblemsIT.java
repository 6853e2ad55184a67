package io.pgtrickle.operator.streams;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.pgtrickle.changelog.support.PostgresServer;
import io.pgtrickle.operator.api.streams.StreamTableCluster;
import io.pgtrickle.operator.api.streams.StreamTableClusterPhase;
import io.pgtrickle.testbed.KubeletStatus;
import io.pgtrickle.testbed.TestNamespace;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Why a pipeline's pods do not come up, and why its consumers cannot get a replication slot, in the
 * StreamTableCluster's status (not only "CdcNotReady 0/1"): a worker the real scheduler cannot
 * place, a CDC consumer whose image cannot be pulled (reported as the kubelet would: kwok pulls no
 * image), and a server whose {@code max_replication_slots} are all taken. kwok plays the pods; the
 * PostgreSQL is real, with {@code max_replication_slots=2}.
 */
class StreamTableClusterPodProblemsIT {

  @RegisterExtension static final TestNamespace NAMESPACE = new TestNamespace();

  private static final Duration WAIT = Duration.ofSeconds(90);

  private static PipelineTestBed bed;
  private static PostgresServer postgres;

  @BeforeAll
  static void start() {
    bed = PipelineTestBed.start(NAMESPACE, "-c max_replication_slots=2");
    postgres = bed.postgres();
  }

  @AfterAll
  static void stop() {
    if (bed != null) {
      bed.close();
    }
  }

  /** The scheduler's reason and the pod, and one Warning Event, while the workers stay Pending. */
  @Test
  void anUnschedulableWorkerIsNamedWithTheSchedulersReason() {
    apply(
        "too-big",
        "{"
            + bed.postgresqlSpec("postgres")
            + ", workers: {min: 1, max: 1, autoscaler: none, resources: {requests: {cpu: '64'}}}}");
    StreamTableCluster stc =
        await("reason Unschedulable")
            .atMost(WAIT)
            .until(
                () -> get("too-big"),
                s ->
                    s.getStatus() != null
                        && "Unschedulable".equals(s.getStatus().getPhaseReason()));
    assertThat(stc.getStatus().getPhase()).isEqualTo(StreamTableClusterPhase.Creating);
    assertThat(condition(stc, "Ready").getReason()).isEqualTo("Unschedulable");
    assertThat(condition(stc, "Ready").getMessage())
        .contains("worker pod too-big-worker-")
        .contains(": Unschedulable: ")
        .contains("Insufficient cpu");
    await("one Warning Event Unschedulable")
        .atMost(WAIT)
        .until(() -> warnings("too-big", "Unschedulable") == 1);
    // Later reconciles (every 3 s while not Running) see the same blocker: no second Event.
    sleep(8_000);
    assertThat(warnings("too-big", "Unschedulable"))
        .as("Warning Events of too-big: %s", events("too-big"))
        .isEqualTo(1);
  }

  /** The pod, the container, the kubelet's waiting reason and its message. */
  @Test
  void aCdcImageThatCannotBePulledIsNamedWithTheContainer() throws SQLException {
    sql("postgres", "CREATE DATABASE noimage");
    apply(
        "no-image",
        "{"
            + bed.postgresqlSpec("noimage")
            + ", cdc: {image: 'registry.invalid/cdc-consumer:0'}, workers: {min: 1, max: 1,"
            + " autoscaler: none}}");
    await("the CDC pod with a container status")
        .atMost(WAIT)
        .until(
            () -> {
              Pod pod =
                  client().pods().inNamespace(NAMESPACE.name()).withName("no-image-cdc-0").get();
              return pod != null
                  && pod.getStatus() != null
                  && pod.getStatus().getContainerStatuses() != null
                  && !pod.getStatus().getContainerStatuses().isEmpty();
            });
    KubeletStatus.waiting(
        client(),
        NAMESPACE.name(),
        "no-image-cdc-0",
        "ImagePullBackOff",
        "Back-off pulling image \"registry.invalid/cdc-consumer:0\"");
    StreamTableCluster stc =
        await("reason ImagePullBackOff")
            .atMost(WAIT)
            .until(
                () -> get("no-image"),
                s ->
                    s.getStatus() != null
                        && "ImagePullBackOff".equals(s.getStatus().getPhaseReason()));
    assertThat(condition(stc, "Ready").getMessage())
        .contains(
            "cdc pod no-image-cdc-0: ImagePullBackOff: container cdc-consumer: Back-off pulling"
                + " image \"registry.invalid/cdc-consumer:0\"");
    await("a Warning Event ImagePullBackOff")
        .atMost(WAIT)
        .until(() -> warnings("no-image", "ImagePullBackOff") == 1);
  }

  /**
   * Both slots of the server taken by others: the consumer could never create its own, so the
   * status names the setting and its value instead of "CdcNotReady 0/1".
   */
  @Test
  void noFreeReplicationSlotIsFailedNamingMaxReplicationSlots() throws SQLException {
    sql("postgres", "CREATE DATABASE crowded");
    sql(
        "postgres",
        "SELECT pg_create_logical_replication_slot('other_a', 'pgoutput'),"
            + " pg_create_logical_replication_slot('other_b', 'pgoutput')");
    try {
      apply(
          "crowded",
          "{" + bed.postgresqlSpec("crowded") + ", workers: {min: 1, max: 1, autoscaler: none}}");
      StreamTableCluster stc =
          await("reason ReplicationSlotsExhausted")
              .atMost(WAIT)
              .until(
                  () -> get("crowded"),
                  s ->
                      s.getStatus() != null
                          && "ReplicationSlotsExhausted".equals(s.getStatus().getPhaseReason()));
      assertThat(stc.getStatus().getPhase()).isEqualTo(StreamTableClusterPhase.Failed);
      assertThat(stc.getStatus().getMessage())
          .contains("max_replication_slots is 2")
          .contains("2 in use by others")
          .contains("1 CDC consumer");
      assertThat(warnings("crowded", "ReplicationSlotsExhausted")).isEqualTo(1);

      // A slot freed: the problem goes by itself.
      sql("postgres", "SELECT pg_drop_replication_slot('other_b')");
      await("no longer ReplicationSlotsExhausted")
          .atMost(WAIT)
          .until(
              () -> get("crowded"),
              s -> !"ReplicationSlotsExhausted".equals(s.getStatus().getPhaseReason()));
    } finally {
      sql(
          "postgres",
          "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
              + " WHERE slot_name IN ('other_a', 'other_b')");
    }
  }

  /**
   * A CDC consumer that keeps crashing (exit 1, back-off, running again, not ready, exit 1 ...):
   * one Warning Event for the whole episode, the restarts counted in the status. Before, each
   * restart gave another Warning: the container running between crashes read as no blocker.
   */
  @Test
  void aCrashLoopingConsumerIsWarnedOnceWithItsRestartsInTheStatus() throws SQLException {
    sql("postgres", "CREATE DATABASE crashing");
    apply(
        "crashing",
        "{" + bed.postgresqlSpec("crashing") + ", workers: {min: 1, max: 1, autoscaler: none}}");
    String pod = "crashing-cdc-0";
    await("the CDC pod with a container status")
        .atMost(WAIT)
        .until(
            () -> {
              Pod p = client().pods().inNamespace(NAMESPACE.name()).withName(pod).get();
              return p != null
                  && p.getStatus() != null
                  && p.getStatus().getContainerStatuses() != null
                  && !p.getStatus().getContainerStatuses().isEmpty();
            });
    String uid =
        client().pods().inNamespace(NAMESPACE.name()).withName(pod).get().getMetadata().getUid();
    for (int restart = 1; restart <= 3; restart++) {
      KubeletStatus.terminated(client(), NAMESPACE.name(), pod, uid, 1);
      KubeletStatus.backingOff(client(), NAMESPACE.name(), pod, uid);
      await("reason CrashLoopBackOff, restart " + restart)
          .atMost(WAIT)
          .until(
              () -> get("crashing"),
              s ->
                  s.getStatus() != null
                      && "CrashLoopBackOff".equals(s.getStatus().getPhaseReason()));
      KubeletStatus.restarted(client(), NAMESPACE.name(), pod, uid);
      // Running again, not ready: reconciles (every 3 s while not Running) look at it.
      sleep(5_000);
    }
    StreamTableCluster stc =
        await("the restarts in the status")
            .atMost(WAIT)
            .until(
                () -> get("crashing"),
                s -> s.getStatus().getMessage().contains("restarted 3 times"));
    assertThat(stc.getStatus().getPhaseReason()).isEqualTo("CrashLoopBackOff");
    assertThat(stc.getStatus().getMessage())
        .contains("cdc pod crashing-cdc-0: CrashLoopBackOff: container cdc-consumer:")
        .contains("last exit code 1 (Error)");
    assertThat(warnings("crashing", "CrashLoopBackOff"))
        .as("Warning Events of crashing: %s", events("crashing"))
        .isEqualTo(1);
  }

  /**
   * A scale-up of {@code spec.cdc.replicas} short of a slot while the consumer that has one keeps
   * running: Degraded, naming the shortfall, not Failed (before, Failed as if nothing ran).
   */
  @Test
  void aScaleUpShortOfSlotsIsDegradedNotFailed() throws SQLException {
    sql("postgres", "CREATE DATABASE scaled");
    // Consumer 0's slot (kwok runs no consumer: made here as it would) and another's: 2 of 2.
    sql("scaled", "SELECT pg_create_logical_replication_slot('pgtrickle_scaled_0', 'pgoutput')");
    sql("postgres", "SELECT pg_create_logical_replication_slot('other_c', 'pgoutput')");
    try {
      apply(
          "scaled",
          "{"
              + bed.postgresqlSpec("scaled")
              + ", cdc: {replicas: 2}, workers: {min: 1, max: 1, autoscaler: none}}");
      StreamTableCluster stc =
          await("reason ReplicationSlotsExhausted")
              .atMost(WAIT)
              .until(
                  () -> get("scaled"),
                  s ->
                      s.getStatus() != null
                          && "ReplicationSlotsExhausted".equals(s.getStatus().getPhaseReason()));
      // kwok marks both consumer pods ready; the real second one would wait for its slot.
      stc =
          await("phase Degraded")
              .atMost(WAIT)
              .until(
                  () -> get("scaled"),
                  s -> s.getStatus().getPhase() == StreamTableClusterPhase.Degraded);
      assertThat(stc.getStatus().getPhaseReason()).isEqualTo("ReplicationSlotsExhausted");
      assertThat(condition(stc, "Degraded").getReason()).isEqualTo("ReplicationSlotsExhausted");
      assertThat(condition(stc, "Degraded").getMessage())
          .contains("2 CDC consumer(s)")
          .contains("1 of them have none")
          .contains("max_replication_slots is 2")
          .contains("1 of 2 consumers can run");
      assertThat(warnings("scaled", "ReplicationSlotsExhausted")).isLessThanOrEqualTo(1);
    } finally {
      sql(
          "postgres",
          "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
              + " WHERE slot_name = 'other_c'");
      sql(
          "scaled",
          "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
              + " WHERE slot_name = 'pgtrickle_scaled_0'");
    }
  }

  private static void apply(String name, String spec) {
    String yaml =
        "apiVersion: trickle-labs.io/v1alpha1\nkind: StreamTableCluster\nmetadata:\n  name: "
            + name
            + "\n  namespace: "
            + NAMESPACE.name()
            + "\nspec: "
            + spec
            + "\n";
    client().resource(Serialization.unmarshal(yaml, StreamTableCluster.class)).create();
  }

  private static StreamTableCluster get(String name) {
    return client()
        .resources(StreamTableCluster.class)
        .inNamespace(NAMESPACE.name())
        .withName(name)
        .get();
  }

  private static Condition condition(StreamTableCluster s, String type) {
    return s.getStatus().getConditions().stream()
        .filter(c -> type.equals(c.getType()))
        .findFirst()
        .orElseThrow();
  }

  private static long warnings(String stc, String reason) {
    List<io.fabric8.kubernetes.api.model.Event> events =
        client().v1().events().inNamespace(NAMESPACE.name()).list().getItems();
    return events.stream()
        .filter(e -> "Warning".equals(e.getType()))
        .filter(e -> "StreamTableCluster".equals(e.getInvolvedObject().getKind()))
        .filter(e -> stc.equals(e.getInvolvedObject().getName()))
        .filter(e -> reason.equals(e.getReason()))
        .count();
  }

  private static List<String> events(String stc) {
    return client().v1().events().inNamespace(NAMESPACE.name()).list().getItems().stream()
        .filter(e -> stc.equals(e.getInvolvedObject().getName()))
        .map(e -> e.getType() + " " + e.getReason() + " " + e.getMessage())
        .toList();
  }

  private static void sql(String database, String statement) throws SQLException {
    String url = postgres.jdbcUrl().replaceFirst("/postgres(\\?|$)", "/" + database + "$1");
    try (Connection c = DriverManager.getConnection(url);
        Statement s = c.createStatement()) {
      s.execute(statement);
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  private static KubernetesClient client() {
    return NAMESPACE.client();
  }
}
