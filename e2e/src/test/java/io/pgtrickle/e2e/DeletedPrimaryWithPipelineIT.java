package io.pgtrickle.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.readiness.Readiness;
import io.pgtrickle.operator.testbed.HaCluster;
import io.pgtrickle.testbed.ProgramPods;
import io.pgtrickle.testbed.TestNamespace;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code kubectl delete pod} of the primary of {@code make demo}'s setup: an asynchronous
 * PostgresCluster of PostgreSQL 16 with a StreamTableCluster on it, its change log in the same
 * cluster ({@code logBackend: postgres}), so the real cdc-consumer streams from a logical slot on
 * the primary. PostgreSQL's shutdown waits for a logical walsender until its client confirmed
 * everything sent; the consumer confirms (or ends its session) at once, so the shutdown is not held
 * up, Patroni releases its leader lock, and another member is primary within the failover
 * objective, twice in a row, under writes (2026-12-07: 2.2 and 2.4 s; the old primary's shutdown
 * took 0.1 to 0.2 s).
 *
 * <p>{@code -Dit.deletedPrimary.duringSlotCopy=true} deletes the primary instead while Patroni
 * copies the pipeline's new permanent slot to the replicas (PostgreSQL 16 and older: Patroni stops
 * each replica's PostgreSQL, copies the slot's state file from the primary and starts it again).
 * That fails now and then (1 of 4 runs on 2026-12-07; the others moved the primary in 3 to 9 s):
 * when the old primary released its lock, both replicas logged "not healthy enough for leader race"
 * (their HA loop busy with the copy), and the deleted pod's successor, back 2 s later, won the race
 * and was primary again. Not a default test: it depends on the moment of the deletion.
 */
@Timeout(value = 15, unit = TimeUnit.MINUTES)
class DeletedPrimaryWithPipelineIT {

  @RegisterExtension static final TestNamespace NAMESPACE = new TestNamespace();

  private static final List<String> MEMBERS = List.of("pg-0", "pg-1", "pg-2");

  private static ProgramPods programs;
  private static HaCluster postgres;
  private static Pipeline pipeline;

  @BeforeAll
  static void start() {
    programs = new ProgramPods(NAMESPACE.testBed(), NAMESPACE.name());
    postgres = HaCluster.start(NAMESPACE.testBed(), NAMESPACE.name(), "pg", 16, false, 3, Map.of());
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
  }

  @Test
  void deletingThePrimaryPodElectsAnotherMember() throws Exception {
    pipeline.create(
        "  postgresql: {clusterRef: {name: pg}, database: postgres}\n"
            + "  workers: {min: 1, max: 1, autoscaler: none}\n"
            + "  cdc: {replicas: 1, logBackend: postgres}\n");
    pipeline.awaitRunningWithCatalog();
    if (Boolean.getBoolean("it.deletedPrimary.duringSlotCopy")) {
      await("a replica copying the pipeline's slot")
          .atMost(Duration.ofSeconds(120))
          .pollInterval(Duration.ofMillis(100))
          .until(() -> MEMBERS.stream().anyMatch(p -> patroniLog(p).contains("Copying logical")));
      String outcome = deleteThePrimary();
      System.out.println("deleted during the slot copy: " + outcome);
      assertThat(outcome).as("another member took over: " + outcome).contains("moved");
      return;
    }
    pipeline.createStreamTable();
    pipeline.execute(
        "INSERT INTO orders SELECT g, 'c' || (g % 7), g * 2 FROM generate_series(51, 150) g");
    pipeline.awaitEqualToRecomputation("before the fault");
    List<String> outcomes = new ArrayList<>();
    for (int round = 0; round < 2; round++) {
      postgres.awaitReplicationHealthy(Duration.ofSeconds(120));
      String primary = postgres.primaryPod();
      // Patroni copies the pipeline's slot to each replica once (see above): a settled cluster.
      await("the slot copied to the replicas")
          .atMost(Duration.ofSeconds(120))
          .until(() -> MEMBERS.stream().filter(p -> !p.equals(primary)).allMatch(this::hasSlot));
      String[] outcome = new String[1];
      pipeline.underWrites(() -> outcome[0] = deleteThePrimary());
      outcomes.add(outcome[0]);
    }
    System.out.println("deleted primaries: " + outcomes);
    assertThat(outcomes).allMatch(o -> o.contains("moved"));
    pipeline.awaitEqualToRecomputation("after two deleted primaries");
  }

  /**
   * Deletes the primary's pod and waits until the lock holder is another member, or the deleted
   * pod's successor, ready (it came back as primary).
   *
   * @return e.g. "moved pg-0 -> pg-2 in 2.3 s" or "pg-0 came back as primary after 4.5 s"
   */
  private String deleteThePrimary() {
    KubernetesClient client = NAMESPACE.client();
    String old = postgres.primaryPod();
    String oldUid = postgres.podUid(old);
    long deleted = System.nanoTime();
    postgres.deletePod(old);
    String leader =
        await("a lock holder after the deletion of " + old)
            .atMost(Duration.ofSeconds(90))
            .pollInterval(Duration.ofMillis(200))
            .ignoreExceptions()
            .until(
                () -> {
                  Pod pod = client.pods().inNamespace(NAMESPACE.name()).withName(old).get();
                  boolean replaced = pod == null || !oldUid.equals(pod.getMetadata().getUid());
                  String holder = lockHolder(client);
                  boolean settled =
                      holder != null
                          && !holder.isEmpty()
                          && (!holder.equals(old) || Readiness.isPodReady(pod));
                  return replaced && settled ? holder : null;
                },
                Objects::nonNull);
    double seconds = (System.nanoTime() - deleted) / 1e9;
    String outcome =
        leader.equals(old)
            ? old + " came back as primary after " + seconds + " s"
            : "moved " + old + " -> " + leader + " in " + seconds + " s";
    assertThat(seconds).as(outcome).isLessThan(HaCluster.OBJECTIVE.toSeconds());
    return outcome;
  }

  private static String lockHolder(KubernetesClient client) {
    ConfigMap lock = client.configMaps().inNamespace(NAMESPACE.name()).withName("pg-leader").get();
    return lock == null || lock.getMetadata().getAnnotations() == null
        ? null
        : lock.getMetadata().getAnnotations().get("leader");
  }

  private boolean hasSlot(String member) {
    try (Connection c = postgres.connect(postgres.podIp(member));
        ResultSet rs =
            c.createStatement()
                .executeQuery(
                    "SELECT count(*) FROM pg_replication_slots WHERE slot_type = 'logical'")) {
      rs.next();
      return rs.getLong(1) == 1;
    } catch (SQLException e) {
      return false;
    }
  }

  private static String patroniLog(String member) {
    Path log =
        NAMESPACE
            .testBed()
            .repositoryRootPath()
            .resolve("target/testbed/pods")
            .resolve(NAMESPACE.name())
            .resolve(member)
            .resolve("patroni.log");
    try {
      return Files.isRegularFile(log) ? Files.readString(log) : "";
    } catch (IOException e) {
      return "";
    }
  }
}
