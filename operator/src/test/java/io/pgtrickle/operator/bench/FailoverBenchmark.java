package io.pgtrickle.operator.bench;

import io.pgtrickle.operator.testbed.ContinuousWriter;
import io.pgtrickle.operator.testbed.HaCluster;
import io.pgtrickle.testbed.TestBed;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Consumer;

/**
 * {@code make bench-failover}: recovery time of a 3-member synchronous cluster with real Patroni
 * and PostgreSQL under a continuous write load, from the fault to the first write acknowledged
 * through {@code NAME-primary}. Crash: the primary's container SIGKILLed, restarted by the kubelet
 * after its back-off (at once the first time a pod crashes, then 10 s, 20 s, ...). Graceful: the
 * primary pod deleted, so Patroni stops and hands over. Afterwards every acknowledged write must be
 * on the primary. Prints min/median/max per kind; the last line is machine-readable.
 */
public final class FailoverBenchmark {

  private static final int ROUNDS = Integer.getInteger("bench.failover.rounds", 10);

  private FailoverBenchmark() {}

  public static void main(String[] args) throws Exception {
    TestBed testBed = TestBed.shared();
    testBed.applyGeneratedCrds();
    String namespace = "bench-failover-" + Long.toHexString(System.nanoTime() & 0xffffff);
    testBed
        .client()
        .namespaces()
        .resource(io.pgtrickle.testbed.TestBed.testNamespace(namespace))
        .create();
    int major = HaCluster.testedMajor();
    int exit = 0;
    try (HaCluster ha = HaCluster.start(testBed, namespace, "bench", major, true);
        ContinuousWriter writer = new ContinuousWriter(ha, "load")) {
      // A crash counts from when crash() returns, the container's processes gone (the same pod
      // may lead again after its restart). A deleted pod's Patroni stops only afterwards and
      // serves meanwhile: that counts from the delete, and only writes on another pod.
      List<Double> crash = rounds(ha, writer, "crash", pod -> ha.pods().crash(pod), false);
      List<Double> graceful = rounds(ha, writer, "graceful", ha::deletePod, true);
      writer.close();
      ha.awaitReplicationHealthy(Duration.ofMinutes(6));
      long lost = lostAcknowledgedWrites(ha, writer.acknowledged());
      System.out.printf(
          Locale.ROOT,
          "PostgreSQL %d, synchronous, %d acknowledged writes%n",
          major,
          writer.acknowledged().size());
      System.out.println("crash    " + summary(crash));
      System.out.println("graceful " + summary(graceful));
      System.out.printf(
          Locale.ROOT,
          "failover_crash_median_s=%.2f failover_crash_max_s=%.2f failover_graceful_median_s=%.2f"
              + " failover_graceful_max_s=%.2f lost_acked_writes=%d%n",
          median(crash),
          max(crash),
          median(graceful),
          max(graceful),
          lost);
      exit = lost == 0 ? 0 : 1;
    } finally {
      testBed.deleteNamespace(namespace);
    }
    System.exit(exit);
  }

  private static List<Double> rounds(
      HaCluster ha,
      ContinuousWriter writer,
      String kind,
      Consumer<String> fault,
      boolean elsewhere) {
    List<Double> seconds = new ArrayList<>();
    for (int round = 1; round <= ROUNDS; round++) {
      // A crashed pod may wait out the kubelet's back-off (up to minutes after repeated crashes).
      ha.awaitReplicationHealthy(Duration.ofMinutes(6));
      int before = writer.acknowledged().size();
      while (writer.acknowledged().size() < before + 100) {
        sleep(50);
      }
      String primary = ha.primaryPod();
      String notBy = elsewhere ? ha.podIp(primary) : null;
      long faultAt = System.nanoTime();
      fault.accept(primary);
      long at = elsewhere ? faultAt : System.nanoTime();
      long deadline = at + HaCluster.OBJECTIVE.multipliedBy(2).toNanos();
      while (writer.secondsToFirstAckAfter(at, notBy).isEmpty()) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(kind + " round " + round + ": no write for 60 s");
        }
        sleep(20);
      }
      double s = writer.secondsToFirstAckAfter(at, notBy).orElseThrow();
      seconds.add(s);
      System.out.printf(Locale.ROOT, "%s %2d: %s -> %.2f s%n", kind, round, primary, s);
    }
    return seconds;
  }

  private static long lostAcknowledgedWrites(HaCluster ha, List<Long> acknowledged)
      throws Exception {
    Set<Long> present = new HashSet<>();
    try (Connection c = ha.connect(ha.primaryIp().orElseThrow());
        ResultSet rs = c.createStatement().executeQuery("select id from load")) {
      while (rs.next()) {
        present.add(rs.getLong(1));
      }
    }
    return acknowledged.stream().filter(id -> !present.contains(id)).count();
  }

  private static String summary(List<Double> s) {
    return String.format(
        Locale.ROOT,
        "recovery s: min %.2f median %.2f max %.2f over %d",
        s.stream().mapToDouble(d -> d).min().orElse(Double.NaN),
        median(s),
        max(s),
        s.size());
  }

  private static double median(List<Double> s) {
    List<Double> sorted = s.stream().sorted().toList();
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }

  private static double max(List<Double> s) {
    return s.stream().mapToDouble(d -> d).max().orElse(Double.NaN);
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
