package io.pgtrickle.changelog.nats;

import static io.pgtrickle.changelog.support.TestEvents.await;
import static io.pgtrickle.changelog.support.TestEvents.drain;
import static io.pgtrickle.changelog.support.TestEvents.longs;
import static io.pgtrickle.changelog.support.TestEvents.lsns;
import static io.pgtrickle.changelog.support.TestEvents.range;
import static org.assertj.core.api.Assertions.assertThat;

import io.nats.client.Connection;
import io.nats.client.Nats;
import io.nats.client.api.StreamInfo;
import io.pgtrickle.changelog.ChangeLogBackend;
import io.pgtrickle.changelog.ChangeLogBackends;
import io.pgtrickle.changelog.ChangeLogConfigException;
import io.pgtrickle.changelog.Lsn;
import io.pgtrickle.changelog.support.NatsServer;
import io.pgtrickle.changelog.support.ServerProcess;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code replicas} of an existing stream changed on a JetStream cluster of three real servers: the
 * stream and its {@code -acks} bucket get the new count, the messages and acknowledgments stay, and
 * with three copies the change log outlives one server.
 */
class NatsReplicasIT {

  private static List<NatsServer> cluster;

  @BeforeAll
  static void startCluster() {
    cluster = NatsServer.cluster(3);
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.forEach(NatsServer::close);
    }
  }

  @Test
  void replicasOfAnExistingStreamChangeAndItOutlivesAServer() throws Exception {
    String stream = "replicas-" + System.nanoTime();
    String params = "stream=" + stream + "&consumer=worker&pollMs=50";
    try (ChangeLogBackend one = openWithRetry(cluster.get(0).uri(params + "&replicas=1"))) {
      // A new stream's leader is elected a moment after its creation: retry until it takes them.
      awaitPublished(one, 7, 1, 10);
      assertThat(lsns(drainWithRetry(one, 7, 10))).isEqualTo(longs(1, 10));
      await(one.acknowledge(7, Lsn.of(4)));
    }
    assertThat(replicas(stream)).isEqualTo(1);

    // Opened with replicas=3 through another server: the stream and its bucket get three copies.
    try (ChangeLogBackend three = openWithRetry(cluster.get(1).uri(params + "&replicas=3"))) {
      assertThat(replicas(stream)).isEqualTo(3);
      assertThat(bucketReplicas(stream + "-acks")).isEqualTo(3);
      assertThat(lsns(drainWithRetry(three, 7, 6))).isEqualTo(longs(5, 10));
      // Opened without replicas, an existing stream keeps its count.
      openWithRetry(cluster.get(2).uri(params)).close();
      assertThat(replicas(stream)).isEqualTo(3);
    }

    // One server stops: the other two still hold a quorum of the stream's copies.
    awaitCurrentReplicas(stream);
    cluster.get(2).close();
    try (ChangeLogBackend survivor = openWithRetry(cluster.get(0).uri(params))) {
      awaitPublished(survivor, 7, 11, 15);
      assertThat(lsns(drainWithRetry(survivor, 7, 11))).isEqualTo(longs(5, 15));
    }

    // And back to one copy, as asked.
    try (ChangeLogBackend back = openWithRetry(cluster.get(0).uri(params + "&replicas=1"))) {
      assertThat(replicas(stream)).isEqualTo(1);
      assertThat(bucketReplicas(stream + "-acks")).isEqualTo(1);
    }
  }

  @Test
  void moreReplicasThanServersAreRefusedNamingReplicas() {
    String stream = "toomany-" + System.nanoTime();
    String params = "stream=" + stream + "&consumer=worker";
    openWithRetry(cluster.get(0).uri(params + "&replicas=1")).close();
    try {
      ChangeLogBackends.open(cluster.get(0).uri(params + "&replicas=5")).close();
      throw new AssertionError("replicas=5 on a cluster of 3 (or 2 running) was accepted");
    } catch (ChangeLogConfigException e) {
      assertThat(e.setting()).isEqualTo("replicas");
      assertThat(e.getMessage())
          .contains("stream '" + stream + "' has 1 replica(s)")
          .contains("JetStream refused to change it to 5");
    }
  }

  /** The meta leader is elected a moment after the servers listen: retry until it answers. */
  private static ChangeLogBackend openWithRetry(String uri) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      try {
        return ChangeLogBackends.open(uri);
      } catch (RuntimeException e) {
        if (e instanceof ChangeLogConfigException c
                && "replicas".equals(c.setting())
                && !c.getMessage().contains("error 10008")
            || System.nanoTime() > deadline) {
          throw e;
        }
        ServerProcess.sleep(500);
      }
    }
  }

  private static void awaitPublished(ChangeLogBackend b, long source, long from, long to) {
    ServerProcess.retry(60, 500, () -> await(b.publish(source, range(source, from, to))));
  }

  /**
   * Consumes what is not acknowledged (LSN 4 was) until {@code expected} events came; a request
   * that times out while JetStream moves the stream's copies or elects a leader is tried again.
   */
  private static List<io.pgtrickle.changelog.ChangeEvent> drainWithRetry(
      ChangeLogBackend b, long source, int expected) {
    return ServerProcess.retry(60, 500, () -> drain(b, source, Lsn.ZERO, expected));
  }

  /** Until every copy of the stream has caught up (so stopping a server loses none). */
  private static void awaitCurrentReplicas(String stream) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      StreamInfo info = info(stream);
      if (info.getClusterInfo() != null
          && info.getClusterInfo().getReplicas() != null
          && info.getClusterInfo().getReplicas().size() == 2
          && info.getClusterInfo().getReplicas().stream().allMatch(r -> r.isCurrent())) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("the copies of " + stream + " never caught up: " + info);
      }
      ServerProcess.sleep(200);
    }
  }

  private static int replicas(String stream) throws Exception {
    return info(stream).getConfiguration().getReplicas();
  }

  private static StreamInfo info(String stream) throws Exception {
    try (Connection c = Nats.connect("nats://127.0.0.1:" + cluster.get(0).port())) {
      return c.jetStreamManagement().getStreamInfo(stream);
    }
  }

  private static int bucketReplicas(String bucket) throws Exception {
    try (Connection c = Nats.connect("nats://127.0.0.1:" + cluster.get(0).port())) {
      return c.keyValueManagement().getStatus(bucket).getReplicas();
    }
  }
}
