package io.pgtrickle.operator.ha;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.readiness.Readiness;
import io.pgtrickle.operator.testbed.HaCluster;
import io.pgtrickle.testbed.TestNamespace;
import java.io.File;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Objects;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code kubectl delete pod} of the primary while a logical replication consumer streams from a
 * slot on it (PostgreSQL 16, asynchronous, as {@code make demo}'s cluster): PostgreSQL's shutdown
 * waits for a logical walsender until its client confirmed everything sent, so a consumer that
 * never confirmed would hold Patroni's stop, and its leader lock, until the pod's grace period
 * ends. Here {@code pg_recvlogical}, which confirms each keepalive's position, is the consumer: the
 * shutdown takes well under a second, Patroni releases the lock, and another member is primary
 * within the failover objective (measured 2026-12-07: 4.3 s from the deletion). The real
 * cdc-consumer in the same situation: e2e's {@code DeletedPrimaryWithPipelineIT}.
 *
 * <p>The slot is not one Patroni was told about, so Patroni tries to drop it as unknown on each
 * loop; it cannot while the consumer is connected ({@code pg_recvlogical} creates and starts it in
 * one go).
 */
class LogicalConsumerFailoverIT {

  @RegisterExtension static final TestNamespace NAMESPACE = new TestNamespace();
  private static final String PG_RECVLOGICAL =
      "/opt/pg-trickle/postgresql/16.15.0/bin/pg_recvlogical";

  private static HaCluster ha;
  private static Process consumer;

  @BeforeAll
  static void start() {
    ha = HaCluster.start(NAMESPACE.testBed(), NAMESPACE.name(), "lc", 16, false);
    ha.secondsUntilWritable("create table t (id bigint primary key)");
  }

  @AfterAll
  static void stop() {
    if (consumer != null) {
      consumer.destroyForcibly();
    }
    if (ha != null) {
      ha.close();
    }
  }

  @Test
  void deletingThePrimaryWithALogicalConsumerElectsAnotherMember() throws Exception {
    ha.awaitReplicationHealthy(Duration.ofSeconds(120));
    String old = ha.primaryPod();
    File out = Files.createTempFile("recvlogical", ".out").toFile();
    out.deleteOnExit();
    ProcessBuilder recvlogical =
        new ProcessBuilder(
                PG_RECVLOGICAL,
                "-h",
                ha.podIp(old),
                "-U",
                "postgres",
                "-d",
                "postgres",
                "-S",
                "probe",
                "--create-slot",
                "--if-not-exists",
                "-P",
                "test_decoding",
                "--start",
                "-f",
                out.getPath())
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD);
    recvlogical.environment().put("PGPASSWORD", ha.password());
    consumer = recvlogical.start();
    await()
        .atMost(Duration.ofSeconds(30))
        .ignoreExceptions()
        .until(
            () ->
                ha.queryLong(
                        "select count(*) from pg_replication_slots"
                            + " where slot_name = 'probe' and active")
                    == 1);
    for (int i = 0; i < 20; i++) {
      ha.secondsUntilWritable("insert into t values (" + i + ")");
    }
    ha.awaitReplicationHealthy(Duration.ofSeconds(60));

    String oldUid = ha.podUid(old);
    long deleted = System.nanoTime();
    ha.deletePod(old);
    String leader = awaitLeaderAfter(old, oldUid);
    double seconds = (System.nanoTime() - deleted) / 1e9;
    System.out.println("leader " + leader + " (was " + old + ") after " + seconds + " s");
    assertThat(leader).as("another member took over (%s)", ha.diagnostics()).isNotEqualTo(old);
    assertThat(seconds).isLessThan(HaCluster.OBJECTIVE.toSeconds());
  }

  /**
   * The member holding Patroni's leader lock once the deleted pod {@code old} is gone: another
   * member, or {@code old}'s successor once it is ready (it came back as primary).
   */
  private static String awaitLeaderAfter(String old, String oldUid) {
    KubernetesClient client = NAMESPACE.client();
    return await()
        .atMost(Duration.ofSeconds(90))
        .pollInterval(Duration.ofMillis(200))
        .ignoreExceptions()
        .until(
            () -> {
              Pod pod = client.pods().inNamespace(NAMESPACE.name()).withName(old).get();
              boolean replaced = pod == null || !oldUid.equals(pod.getMetadata().getUid());
              ConfigMap lock =
                  client.configMaps().inNamespace(NAMESPACE.name()).withName("lc-leader").get();
              String holder =
                  lock == null || lock.getMetadata().getAnnotations() == null
                      ? null
                      : lock.getMetadata().getAnnotations().get("leader");
              boolean settled =
                  holder != null
                      && !holder.isEmpty()
                      && (!holder.equals(old) || Readiness.isPodReady(pod));
              return replaced && settled ? holder : null;
            },
            Objects::nonNull);
  }
}
