package io.pgtrickle.operator.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.pgtrickle.operator.api.ClusterPhase;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.api.TlsSpec;
import io.pgtrickle.operator.testbed.Edits;
import io.pgtrickle.operator.testbed.HaCluster;
import io.pgtrickle.testbed.TestNamespace;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * TLS turned on, and off again, on a running 3-member cluster with real Patroni and PostgreSQL: the
 * members restart one by one onto the new template, the primary last after a switchover, as for any
 * other rolling change. Members started before the change serve Patroni's REST API with the old
 * scheme (HTTP before TLS on, HTTPS before TLS off) until they restart, and the operator must reach
 * each with the scheme it serves: before, it took the scheme from the new spec, the switchover
 * request to the old primary failed, and the rollout deleted the primary pod (a failover).
 *
 * <p>"No failover": no {@code SwitchoverFailed} Event, no pod deleted while it was the primary
 * (watched throughout), and the timeline moved exactly once per roll (each toggle rolls twice, see
 * {@code TlsTransition}); every write acknowledged meanwhile is kept.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TlsToggleIT {

  @RegisterExtension static final TestNamespace NAMESPACE = new TestNamespace();
  private static final String NAME = "toggle";

  /** How long one roll of the three members may take on a loaded machine. */
  private static final Duration ROLL = Duration.ofMinutes(3);

  /** The current timeline of the primary, from the name of the WAL file it writes. */
  private static final String TIMELINE =
      "select ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::bigint";

  private static HaCluster cluster;
  private static Watch watch;

  /** Pods deleted while labelled primary (name and UID). */
  private static final List<String> primariesDeleted = new CopyOnWriteArrayList<>();

  @BeforeAll
  static void start() {
    cluster =
        HaCluster.start(
            NAMESPACE.testBed(), NAMESPACE.name(), NAME, HaCluster.testedMajor(), false);
    watch =
        NAMESPACE
            .client()
            .pods()
            .inNamespace(NAMESPACE.name())
            .withLabel("postgres.example.com/cluster", NAME)
            .watch(
                new Watcher<>() {
                  @Override
                  public void eventReceived(Action action, Pod pod) {
                    var labels = pod.getMetadata().getLabels();
                    if (pod.getMetadata().getDeletionTimestamp() != null
                        && labels != null
                        && "primary".equals(labels.get("postgres.example.com/role"))) {
                      String id = pod.getMetadata().getName() + " " + pod.getMetadata().getUid();
                      if (!primariesDeleted.contains(id)) {
                        primariesDeleted.add(id);
                      }
                    }
                  }

                  @Override
                  public void onClose(WatcherException cause) {}
                });
  }

  @AfterAll
  static void stop() {
    if (watch != null) {
      watch.close();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  @Order(1)
  void turningTlsOnRollsTheMembersWithASwitchover() throws Exception {
    // Twice: through the transition (certificates, SSL, replication preferring TLS), then full
    // TLS; the replicas stream throughout, so no write acknowledged meanwhile is lost.
    toggle(true, 2, true);
  }

  @Test
  @Order(2)
  void turningTlsOffRollsTheMembersWithASwitchover() throws Exception {
    // Twice as well: through the transition (certificates kept, none required of replicas), then
    // without TLS; the replicas stream throughout.
    toggle(false, 2, true);
  }

  /**
   * Turns TLS on or off and checks the members rolled {@code rolls} times, by switchovers; with
   * {@code write}, under a write load whose every acknowledged row must survive.
   */
  private static void toggle(boolean on, int rolls, boolean write) throws Exception {
    String table = on ? "before_tls_on" : "before_tls_off";
    await()
        .atMost(HaCluster.OBJECTIVE)
        .until(() -> cluster.tryOnPrimary("create table " + table + " as select 1 as i"));
    cluster.tryOnPrimary("create table if not exists writes (id bigint)");
    List<Long> acknowledged = new CopyOnWriteArrayList<>();
    AtomicBoolean writing = new AtomicBoolean(write);
    Thread writer =
        new Thread(
            () -> {
              for (long id = 1; writing.get(); id++) {
                if (cluster.tryOnPrimary("insert into writes values (" + id + ")")) {
                  acknowledged.add(id);
                }
              }
            },
            "writer");
    writer.start();
    AtomicBoolean watching = new AtomicBoolean(true);
    AtomicInteger fewestRunning = new AtomicInteger(3);
    Thread running = new Thread(() -> watchRunning(watching, fewestRunning), "running");
    running.start();
    long timeline = cluster.queryLong(TIMELINE);
    String primary = cluster.primaryPod();
    int switchovers = cluster.events(Set.of("Switchover")).size();
    int completed = cluster.events(Set.of("SwitchoverCompleted")).size();
    int failovers = cluster.events(Set.of("Failover", "PrimaryLost")).size();

    Edits.edit(
        NAMESPACE
            .client()
            .resources(PostgresCluster.class)
            .inNamespace(NAMESPACE.name())
            .withName(NAME),
        c -> {
          TlsSpec tls = new TlsSpec();
          tls.setEnabled(on);
          c.getSpec().setTls(on ? tls : null);
          return c;
        });

    await()
        .atMost(ROLL.multipliedBy(rolls))
        .pollInterval(Duration.ofSeconds(1))
        .ignoreExceptions()
        .until(() -> everyMemberServes(on));
    cluster.awaitReplicationHealthy(Duration.ofSeconds(120));
    writing.set(false);
    writer.join();
    watching.set(false);
    running.join();
    assertThat(fewestRunning.get())
        .as("members whose PostgreSQL listened at any moment (one restarts at a time)")
        .isGreaterThanOrEqualTo(2);
    if (write) {
      assertThat(acknowledged).as("writes acknowledged during the rolls").hasSizeGreaterThan(20);
      String ids = acknowledged.stream().map(String::valueOf).collect(Collectors.joining(","));
      assertThat(
              cluster.queryLong(
                  "select count(distinct id) from writes where id = any('{" + ids + "}')"))
          .as("acknowledged writes kept")
          .isEqualTo(acknowledged.size());
    }

    assertThat(cluster.events(Set.of("SwitchoverFailed"))).isEmpty();
    assertThat(primariesDeleted).as("pods deleted while primary").isEmpty();
    assertThat(cluster.events(Set.of("Switchover")))
        .as("the rollout's switchover")
        .hasSize(switchovers + rolls)
        .anySatisfy(e -> assertThat(e).startsWith("Switchover: Switchover from " + primary));
    // Each move of the primary reads as the switchover it was (before: a Failover Event each).
    await()
        .atMost(HaCluster.OBJECTIVE)
        .untilAsserted(
            () ->
                assertThat(cluster.events(Set.of("SwitchoverCompleted")))
                    .as("SwitchoverCompleted Events")
                    .hasSize(completed + rolls));
    assertThat(cluster.events(Set.of("Failover", "PrimaryLost")))
        .as("Failover or PrimaryLost Events")
        .hasSize(failovers);
    if (rolls == 1) {
      assertThat(cluster.primaryPod()).isNotEqualTo(primary);
    }
    assertThat(cluster.queryLong(TIMELINE)).isEqualTo(timeline + rolls);
    assertThat(cluster.queryLong("select count(*) from " + table)).isEqualTo(1);
  }

  /**
   * Every member runs on the template of the new spec (mounting the TLS Secret or not), Running.
   */
  private static boolean everyMemberServes(boolean tls) {
    if (cluster.cluster().getStatus().getPhase() != ClusterPhase.Running) {
      return false;
    }
    List<Pod> pods =
        NAMESPACE
            .client()
            .pods()
            .inNamespace(NAMESPACE.name())
            .withLabel("postgres.example.com/cluster", NAME)
            .list()
            .getItems();
    return pods.size() == 3
        && pods.stream()
            .allMatch(
                p ->
                    p.getMetadata().getDeletionTimestamp() == null
                        && p.getSpec().getVolumes().stream()
                                .anyMatch(v -> "tls".equals(v.getName()))
                            == tls);
  }

  /**
   * Until {@code watching} turns false, records the fewest members whose PostgreSQL port accepts a
   * connection (polled every 200 ms): a rollout restarts one member at a time, so two of three
   * always listen. (Before the test bed set a recreated member not ready until its Patroni ran, the
   * rollout restarted a second member 1.3 s after the first.)
   */
  private static void watchRunning(AtomicBoolean watching, AtomicInteger fewest) {
    while (watching.get()) {
      try {
        List<String> ips =
            NAMESPACE
                .client()
                .pods()
                .inNamespace(NAMESPACE.name())
                .withLabel("postgres.example.com/cluster", NAME)
                .list()
                .getItems()
                .stream()
                .filter(p -> p.getStatus() != null && p.getStatus().getPodIP() != null)
                .map(p -> p.getStatus().getPodIP())
                .distinct()
                .toList();
        int listening = 0;
        for (String ip : ips) {
          try (var socket = new java.net.Socket()) {
            socket.connect(new java.net.InetSocketAddress(ip, 5432), 500);
            listening++;
          } catch (java.io.IOException e) {
            // not listening
          }
        }
        int seen = listening;
        fewest.accumulateAndGet(seen, Math::min);
        Thread.sleep(200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (RuntimeException e) {
        // the API server's answer is missed once; the next poll counts
      }
    }
  }
}
