package io.pgtrickle.operator.bench;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.testbed.ClusterChildren;
import io.pgtrickle.testbed.TestBed;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code make bench-reconcile}: the operator as its own process (the packaged jar, the JVM flags of
 * the image) against the test bed. Measures the time from creating a PostgresCluster to all twelve
 * of its children existing (sequentially, 50 clusters), then the operator's heap and RSS with 200
 * clusters converged. The last line is machine-readable.
 */
public final class ReconcileBenchmark {

  private static final int TIMED = 50;
  private static final int TOTAL = 200;
  private static final String[] CHILD_KINDS = {
    "statefulsets",
    "services",
    "configmaps",
    "secrets",
    "serviceaccounts",
    "roles",
    "rolebindings",
    "poddisruptionbudgets"
  };

  private ReconcileBenchmark() {}

  public static void main(String[] args) throws Exception {
    TestBed testBed = TestBed.shared();
    testBed.applyGeneratedCrds();
    KubernetesClient client = testBed.client();
    String namespace = "bench-" + Long.toHexString(System.nanoTime() & 0xffffff);
    client.namespaces().resource(io.pgtrickle.testbed.TestBed.testNamespace(namespace)).create();
    Path log = Files.createTempFile("operator-bench", ".log");
    Process operator = startOperator(testBed, log);
    try {
      waitForOperator(client, namespace);
      List<Double> latencies = new ArrayList<>();
      for (int i = 0; i < TIMED; i++) {
        String name = "bench-" + i;
        long start = System.nanoTime();
        create(client, namespace, name);
        while (children(client, namespace, name) < ClusterChildren.COUNT) {
          Thread.sleep(5);
        }
        latencies.add((System.nanoTime() - start) / 1e6);
      }
      for (int i = TIMED; i < TOTAL; i++) {
        create(client, namespace, "bench-" + i);
      }
      long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
      while (converged(client, namespace) < TOTAL) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(
              "200 clusters did not converge within 5 minutes; see " + log);
        }
        Thread.sleep(500);
      }
      // Let the last status patches and informer resyncs settle before reading memory.
      Thread.sleep(5000);
      long pid = operator.pid();
      // jcmd returns once the collection has finished.
      run("jcmd", String.valueOf(pid), "GC.run");
      double rssMb = rssKb(pid) / 1024.0;
      double heapMb = heapUsedKb(pid) / 1024.0;
      Collections.sort(latencies);
      double p50 = percentile(latencies, 50);
      double p99 = percentile(latencies, 99);
      System.out.printf(
          "create to all %d children present, %d clusters one after another:%n",
          ClusterChildren.COUNT, TIMED);
      System.out.printf(
          "  p50 %.1f ms, p99 %.1f ms, max %.1f ms (target p99 < 1000 ms)%n",
          p50, p99, latencies.get(latencies.size() - 1));
      System.out.printf(
          "operator with %d clusters converged: RSS %.1f MB, heap used after GC %.1f MB (target RSS < 300 MB)%n",
          TOTAL, rssMb, heapMb);
      System.out.printf(
          "reconcile_p50_ms=%.1f reconcile_p99_ms=%.1f rss_mb_200=%.1f heap_mb_200=%.1f%n",
          p50, p99, rssMb, heapMb);
    } finally {
      operator.destroy();
      operator.waitFor(20, TimeUnit.SECONDS);
      testBed.deleteNamespace(namespace);
    }
    System.exit(0);
  }

  private static Process startOperator(TestBed testBed, Path log) throws IOException {
    Path jar = testBed.repositoryRootPath().resolve("operator/target/operator.jar");
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(List.of(OperatorJvm.FLAGS));
    command.addAll(List.of("-jar", jar.toString()));
    ProcessBuilder builder =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    builder.environment().put("KUBECONFIG", testBed.kubeconfig().toString());
    return builder.start();
  }

  private static void waitForOperator(KubernetesClient client, String namespace)
      throws InterruptedException {
    create(client, namespace, "warmup");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (children(client, namespace, "warmup") < ClusterChildren.COUNT) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "the operator did not reconcile a first cluster within 60 s");
      }
      Thread.sleep(100);
    }
  }

  private static void create(KubernetesClient client, String namespace, String name) {
    String yaml =
        "apiVersion: postgres.example.com/v1\nkind: PostgresCluster\nmetadata:\n  name: "
            + name
            + "\n  namespace: "
            + namespace
            + "\nspec:\n  version: 16\n  replicas: 1\n  storage:\n    size: 1Gi\n";
    client
        .resource(client.getKubernetesSerialization().unmarshal(yaml, PostgresCluster.class))
        .create();
  }

  private static int children(KubernetesClient client, String namespace, String cluster) {
    return ClusterChildren.of(client, namespace, cluster).size();
  }

  private static long converged(KubernetesClient client, String namespace) {
    return client.resources(PostgresCluster.class).inNamespace(namespace).list().getItems().stream()
        .filter(c -> c.getStatus() != null && c.getStatus().getPhase() != null)
        .filter(c -> c.getMetadata().getGeneration().equals(c.getStatus().getObservedGeneration()))
        .filter(c -> !"Pending".equals(c.getStatus().getPhase().name()))
        .count();
  }

  private static double percentile(List<Double> sorted, int p) {
    int index = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
    return sorted.get(Math.max(0, Math.min(sorted.size() - 1, index)));
  }

  private static long rssKb(long pid) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("\\D", ""));
      }
    }
    throw new IllegalStateException("no VmRSS for " + pid);
  }

  /** Heap in use, from {@code jcmd GC.heap_info}: the "used" figures of every generation. */
  private static long heapUsedKb(long pid) throws IOException, InterruptedException {
    String info = run("jcmd", String.valueOf(pid), "GC.heap_info");
    long used = 0;
    var matcher = java.util.regex.Pattern.compile("total \\d+K, used (\\d+)K").matcher(info);
    while (matcher.find()) {
      used += Long.parseLong(matcher.group(1));
    }
    return used;
  }

  private static String run(String... command) throws IOException, InterruptedException {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(process.getInputStream().readAllBytes());
    process.waitFor(30, TimeUnit.SECONDS);
    return out;
  }
}
