package io.pgtrickle.adapter.it;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.Quantity;
import io.pgtrickle.testbed.TestBed;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * {@code make bench-hpa} (one controller-manager setting per run; {@code hack/bench-hpa.sh} runs it
 * with the stock 15 s HPA sync period and with the tuned 1 s one): the {@link HpaScenario}, then
 * rounds of: a write load starts; <b>scale-up</b> = seconds from the CDC lag the adapter serves
 * (read through kube-apiserver, as the HPA reads it) first exceeding the target to a worker pod the
 * HPA added being Ready (the worker program started and answering /readyz); the load stops;
 * <b>scale-down</b> = seconds from the load stopping to the HPA lowering the replicas (the CDC
 * consumer's p95 is over the last minute, so this includes the window emptying); then back to one
 * worker. <b>freshness</b> = seconds from the load's first write to the adapter serving a lag above
 * the target. Writes {@code key=value} figures to the file given.
 *
 * <p>Arguments: {@code LABEL ROUNDS OUTPUT_FILE}.
 */
public final class HpaBenchmark {

  private static final Duration STEP = Duration.ofMinutes(5);
  private static final ObjectMapper JSON = new ObjectMapper();

  private HpaBenchmark() {}

  public static void main(String[] args) throws Exception {
    String label = args[0];
    int rounds = Integer.parseInt(args[1]);
    Path output = Path.of(args[2]);
    TestBed testBed = TestBed.shared();
    testBed.applyGeneratedCrds();
    String namespace =
        "hpa-bench-" + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x1000, 0xffff));
    testBed.client().namespaces().resource(TestBed.testNamespace(namespace)).create();
    List<Double> up = new ArrayList<>();
    List<Double> down = new ArrayList<>();
    List<Double> fresh = new ArrayList<>();
    try (HpaScenario s = new HpaScenario(testBed, namespace).start()) {
      s.createPipeline(STEP);
      for (int round = 1; round <= rounds; round++) {
        double[] r = round(s, namespace);
        fresh.add(r[0]);
        up.add(r[1]);
        down.add(r[2]);
        System.out.printf(
            Locale.ROOT,
            "bench-hpa %s round %d: lag above target %.1f s after the first write, new worker"
                + " Ready %.1f s after that; scale-down decided %.1f s after the load stopped%n",
            label,
            round,
            r[0],
            r[1],
            r[2]);
      }
    } finally {
      testBed.deleteNamespace(namespace);
    }
    String figures =
        String.format(
            Locale.ROOT,
            "scaleup_p50_s=%.1f scaleup_max_s=%.1f scaledown_p50_s=%.1f scaledown_max_s=%.1f"
                + " freshness_p50_s=%.1f freshness_max_s=%.1f rounds=%d",
            p50(up),
            max(up),
            p50(down),
            max(down),
            p50(fresh),
            max(fresh),
            rounds);
    System.out.println("bench-hpa " + label + ": " + figures);
    Files.createDirectories(output.toAbsolutePath().getParent());
    Files.writeString(output, figures + "\n");
    System.exit(0);
  }

  /** One round: {freshness, scale-up, scale-down} in seconds. */
  private static double[] round(HpaScenario s, String namespace) throws Exception {
    await("one worker, lag 0")
        .atMost(STEP)
        .pollInterval(Duration.ofSeconds(1))
        .until(() -> s.replicas() == 1 && s.readyWorkers() == 1 && lag(s, namespace) == 0.0);
    Set<String> before = new HashSet<>(s.workerPodNames());
    long crossed;
    long ready;
    long start;
    try (HpaScenario.Load load = s.load(20)) {
      start = System.nanoTime();
      await("lag above the target")
          .atMost(STEP)
          .pollInterval(Duration.ofMillis(200))
          .until(() -> lag(s, namespace) > HpaScenario.TARGET_CDC_LAG_MS);
      crossed = System.nanoTime();
      await("a new worker Ready")
          .atMost(STEP)
          .pollInterval(Duration.ofMillis(200))
          .until(() -> s.readyWorkerNames().stream().anyMatch(p -> !before.contains(p)));
      ready = System.nanoTime();
      await("the HPA at its decision")
          .atMost(STEP)
          .pollInterval(Duration.ofMillis(500))
          .until(() -> s.readyWorkers() == s.replicas());
    }
    long stopped = System.nanoTime();
    int scaled = s.replicas();
    await("scale-down decided")
        .atMost(STEP)
        .pollInterval(Duration.ofMillis(200))
        .until(() -> s.replicas() < scaled);
    long decided = System.nanoTime();
    return new double[] {
      (crossed - start) / 1e9, (ready - crossed) / 1e9, (decided - stopped) / 1e9
    };
  }

  /** The lag the adapter serves for the StreamTableCluster, in ms; -1 while it cannot say. */
  private static double lag(HpaScenario s, String namespace) {
    try {
      String body =
          s.client()
              .raw(
                  "/apis/custom.metrics.k8s.io/v1beta2/namespaces/"
                      + namespace
                      + "/streamtableclusters.trickle-labs.io/"
                      + HpaScenario.STC
                      + "/pg_trickle_cdc_lag_p95_ms");
      if (body == null) {
        return -1;
      }
      JsonNode value = JSON.readTree(body).path("items").path(0).path("value");
      return value.isMissingNode()
          ? -1
          : Quantity.getAmountInBytes(new Quantity(value.asText())).doubleValue();
    } catch (Exception e) {
      return -1;
    }
  }

  private static double p50(List<Double> xs) {
    List<Double> sorted = xs.stream().sorted().toList();
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }

  private static double max(List<Double> xs) {
    return xs.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
  }
}
