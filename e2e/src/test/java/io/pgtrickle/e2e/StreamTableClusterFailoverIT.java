package io.pgtrickle.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.Nats;
import io.pgtrickle.changelog.support.NatsServer;
import io.pgtrickle.operator.testbed.HaCluster;
import io.pgtrickle.testbed.ProgramPods;
import io.pgtrickle.testbed.TestNamespace;
import java.nio.file.Files;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The pipeline with the NATS JetStream change log on a 3-member PostgresCluster in synchronous mode
 * (real Patroni), across a failover: the primary's pod crashes (PostgreSQL and Patroni SIGKILLed)
 * under a write load, Patroni promotes the synchronous standby, the CDC consumer follows the new
 * primary, and the stream table converges to its query's result there, with every acknowledged
 * write in it.
 *
 * <p>No change event is lost, not merely made up for: the cluster runs PostgreSQL 17 (or the tested
 * major if newer) with the operator's default parameters, which turn {@code sync_replication_slots}
 * and {@code hot_standby_feedback} on (before 2026-12-04 the test set both), the consumer's slot is
 * a failover slot, and the test waits for the synchronous standby's copy of it before the crash (as
 * cdc-consumer's {@code PatroniFailoverCdcIT}); the consumer then resumes from the promoted copy
 * and never records a gap (a gap would make the worker recompute the stream table, which would hide
 * a lost event). The NATS side is a JetStream cluster of three servers: then {@code
 * spec.nats.replicas} goes from 1 to 3 under writes, the operator changes the stream and its
 * bucket, no pod restarts and no change is lost. Deleting the resource removes the NATS stream.
 */
@Timeout(value = 20, unit = TimeUnit.MINUTES)
class StreamTableClusterFailoverIT {

  @RegisterExtension static final TestNamespace NAMESPACE = new TestNamespace();

  private static final String STREAM = "shop-changes";

  /** The slot sync worker's longest nap (30 s) and a round, with room for a loaded machine. */
  private static final Duration SLOT_SYNC_WAIT = Duration.ofMinutes(3);

  /** A JetStream cluster of three servers: the stream starts with one copy and gets three. */
  private static List<NatsServer> nats;

  private static ProgramPods programs;
  private static HaCluster postgres;
  private static Pipeline pipeline;

  @BeforeAll
  static void start() {
    nats = NatsServer.cluster(3);
    programs = new ProgramPods(NAMESPACE.testBed(), NAMESPACE.name());
    postgres =
        HaCluster.start(
            NAMESPACE.testBed(),
            NAMESPACE.name(),
            "pg",
            Math.max(17, HaCluster.testedMajor()),
            true,
            3,
            Map.of());
    pipeline = new Pipeline(NAMESPACE.client(), NAMESPACE.name(), postgres);
  }

  @AfterAll
  static void stop() {
    if (postgres != null) {
      postgres.close();
    }
    if (programs != null) {
      programs.close();
    }
    if (nats != null) {
      nats.forEach(NatsServer::close);
    }
  }

  @Test
  void theNatsPipelineLosesNoChangeAcrossAFailoverUnderWrites() throws Exception {
    pipeline.create(
        "  postgresql: {clusterRef: {name: pg}, database: postgres}\n"
            + "  workers: {min: 2, max: 2, autoscaler: none}\n"
            + "  cdc: {logBackend: nats}\n"
            + "  nats: {url: 'nats://127.0.0.1:"
            + nats.get(0).port()
            + "', stream: "
            + STREAM
            + "}\n");
    pipeline.awaitRunningWithCatalog();
    assertThat(streamExists()).as("the operator created the NATS stream " + STREAM).isTrue();
    pipeline.createStreamTable();
    pipeline.execute(
        "INSERT INTO orders SELECT g, 'c' || (g % 7), g * 2 FROM generate_series(51, 250) g",
        "UPDATE orders SET amount = amount + 1000 WHERE id % 3 = 0",
        "DELETE FROM orders WHERE id % 4 = 0");
    pipeline.awaitEqualToRecomputation("after writes through the NATS change log");

    // A gap is recorded when a table's capture starts (its earlier changes are not in the log);
    // only one recorded after the fault would mean lost changes.
    java.nio.file.Path cdcLog = programs.log(Pipeline.NAME + "-cdc-0");
    int logBefore = Files.readString(cdcLog).length();
    String[] moved = new String[1];
    Set<Integer> written = pipeline.underWrites(() -> moved[0] = failover());
    pipeline.awaitEqualToRecomputation("after a failover under writes: " + moved[0]);
    assertThat(
            pipeline.scalar(
                "SELECT count(*) FROM orders WHERE id IN ("
                    + written.stream().map(String::valueOf).collect(Collectors.joining(","))
                    + ")"))
        .as("every acknowledged insert survived the failover")
        .isEqualTo(String.valueOf(written.size()));
    assertThat(Files.readString(cdcLog).substring(logBefore))
        .as("the consumer resumed from the failover slot: no gap, no change event made up for")
        .contains("streaming from slot")
        .doesNotContain("recorded a gap");
    assertThat(pipeline.scalar("SELECT status FROM pgtrickle.pgt_stream_tables"))
        .isEqualTo("ACTIVE");

    // spec.nats.replicas 1 -> 3 while changes flow: the operator changes the stream and its
    // bucket, no pod restarts, no change is lost.
    assertThat(streamReplicas()).isEqualTo(1);
    Map<String, String> podUids = pipeline.podUids();
    Set<Integer> writtenMeanwhile =
        pipeline.underWrites(
            () -> {
              pipeline.edit(stc -> stc.getSpec().getNats().setReplicas(3));
              await("the stream and its bucket with three copies")
                  .atMost(Pipeline.WAIT)
                  .ignoreExceptions()
                  .until(() -> streamReplicas() == 3 && bucketReplicas() == 3);
            });
    pipeline.awaitEqualToRecomputation("after the stream got three copies under writes");
    assertThat(
            pipeline.scalar(
                "SELECT count(*) FROM orders WHERE id IN ("
                    + writtenMeanwhile.stream()
                        .map(String::valueOf)
                        .collect(Collectors.joining(","))
                    + ")"))
        .isEqualTo(String.valueOf(writtenMeanwhile.size()));
    assertThat(pipeline.podUids())
        .as("no pod or container restarted for the replicas")
        .isEqualTo(podUids);
    assertThat(
            io.pgtrickle.operator.status.Conditions.find(
                    pipeline.current().getStatus().getConditions(), "ChangeLogReady")
                .map(io.fabric8.kubernetes.api.model.Condition::getStatus))
        .hasValue("True");

    // 5 copies on 3 servers: JetStream refuses, the status names the setting (the user's to fix),
    // and the pipeline keeps running on the stream it has.
    pipeline.edit(stc -> stc.getSpec().getNats().setReplicas(5));
    await("the refused replicas in the status")
        .atMost(Pipeline.WAIT)
        .until(
            () -> {
              var status = pipeline.current().getStatus();
              var changeLog =
                  io.pgtrickle.operator.status.Conditions.find(
                          status.getConditions(), "ChangeLogReady")
                      .orElseThrow();
              return "ChangeLogSettingRefused".equals(status.getPhaseReason())
                  && "Degraded".equals(String.valueOf(status.getPhase()))
                  && "SettingRefused".equals(changeLog.getReason())
                  && changeLog.getMessage().contains("'replicas'");
            });
    assertThat(streamReplicas()).as("the stream kept its copies").isEqualTo(3);
    pipeline.execute("INSERT INTO orders SELECT nextval('order_ids'), 'refused', 1");
    pipeline.awaitEqualToRecomputation("while the replicas were refused");
    pipeline.edit(stc -> stc.getSpec().getNats().setReplicas(3));
    await("ready again")
        .atMost(Pipeline.WAIT)
        .until(
            () ->
                io.pgtrickle.operator.status.Conditions.find(
                        pipeline.current().getStatus().getConditions(), "ChangeLogReady")
                    .map(c -> c.getStatus())
                    .orElse("")
                    .equals("True"));
    assertThat(pipeline.podUids())
        .as("no pod or container restarted for the refused replicas")
        .isEqualTo(podUids);

    pipeline.deleteAndAwaitGone();
    await("the NATS stream removed").atMost(Pipeline.WAIT).until(() -> !streamExists());
    assertThat(pipeline.difference()).as("the stream table left as it was").isEmpty();
  }

  /**
   * A failover by crashes or deletions of the primary's pod ({@link PrimaryFaults}), each after
   * replication is healthy and the synchronous standby holds a synchronized copy of the consumer's
   * slot. Returns what happened ("crash pg-0 -> pg-1").
   */
  private static String failover() {
    return PrimaryFaults.failover(
        postgres,
        () -> {
          // HaCluster.awaitReplicationHealthy counts every walsender, the CDC consumer's too.
          await("both standbys streaming, one synchronous (Patroni's record too)")
              .atMost(Pipeline.WAIT)
              .ignoreExceptions()
              .until(
                  () ->
                      pipeline
                              .scalar(
                                  "SELECT count(*) FILTER (WHERE state = 'streaming') || ' ' ||"
                                      + " count(*) FILTER (WHERE sync_state = 'sync') FROM"
                                      + " pg_stat_replication WHERE application_name ~"
                                      + " '^pg-[0-9]+$'")
                              .equals("2 1")
                          && postgres.patroniSyncStandby().isPresent());
          String standby = postgres.synchronousStandby();
          await("the synchronous standby " + standby + " holds a synchronized copy of the slot")
              .atMost(SLOT_SYNC_WAIT)
              .pollInterval(Duration.ofSeconds(1))
              .ignoreExceptions()
              .until(() -> syncedSlotCopies(standby), n -> n >= 1);
        });
  }

  /** Logical slots on {@code pod} that its slot sync worker keeps (synced, not temporary). */
  private static long syncedSlotCopies(String pod) throws SQLException {
    try (java.sql.Connection c = postgres.connect(postgres.podIp(pod));
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT count(*) FROM pg_replication_slots WHERE slot_type = 'logical' AND synced"
                    + " AND NOT temporary")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static int streamReplicas() throws Exception {
    try (Connection c = Nats.connect("nats://127.0.0.1:" + nats.get(0).port())) {
      return c.jetStreamManagement().getStreamInfo(STREAM).getConfiguration().getReplicas();
    }
  }

  private static int bucketReplicas() throws Exception {
    try (Connection c = Nats.connect("nats://127.0.0.1:" + nats.get(0).port())) {
      return c.keyValueManagement().getStatus(STREAM + "-acks").getReplicas();
    }
  }

  private static boolean streamExists() throws Exception {
    try (Connection c = Nats.connect("nats://127.0.0.1:" + nats.get(0).port())) {
      c.jetStreamManagement().getStreamInfo(STREAM);
      return true;
    } catch (JetStreamApiException e) {
      if (e.getErrorCode() == 404) {
        return false;
      }
      throw e;
    }
  }
}
