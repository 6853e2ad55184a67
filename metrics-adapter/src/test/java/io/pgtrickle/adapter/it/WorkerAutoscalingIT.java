package io.pgtrickle.adapter.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscalerCondition;
import io.pgtrickle.testbed.TestNamespace;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The real HPA controller of the test bed's kube-controller-manager scales a StreamTableCluster's
 * workers on CDC lag served by the metrics adapter (issue #15 section 2), in the {@link
 * HpaScenario}: real operator, PostgreSQL, cdc-consumer and worker processes behind the pods, the
 * adapter behind kube-apiserver's aggregator.
 *
 * <p>The story: min 1, max 4 workers, six stream tables refreshed every second. A write load raises
 * the CDC lag above {@code targetCdcLagMs}; the HPA scales the workers up, the new worker processes
 * start (startup probe), become Ready and refresh stream tables; {@code kubectl get --raw} returns
 * the lag the HPA used. The load stops, the lag p95 window (one minute) empties and the HPA scales
 * down to 1. The stream-table lag the adapter serves from the worker's {@code /metrics} matches
 * {@code pg_stat_pgtrickle.current_lag_ms} of a paused stream table. Then the adapter stops: the
 * HPA reports ScalingActive=False (FailedGetObjectMetric) and changes nothing, the worker keeps
 * running, the StreamTableCluster says AutoscalingActive=False; the adapter comes back and both say
 * active again.
 */
class WorkerAutoscalingIT {

  private static final Logger LOG = LoggerFactory.getLogger(WorkerAutoscalingIT.class);

  @RegisterExtension static final TestNamespace NS = new TestNamespace();

  private static final Duration STEP = Duration.ofMinutes(4);
  private static HpaScenario scenario;

  @BeforeAll
  static void start() throws Exception {
    scenario = new HpaScenario(NS.testBed(), NS.name()).start();
  }

  @AfterAll
  static void stop() {
    if (scenario != null) {
      scenario.close();
    }
  }

  @Test
  void theHpaScalesRealWorkersOnCdcLagThroughTheAdapter() throws Exception {
    HpaScenario s = scenario;
    s.createPipeline(STEP);
    String first = s.readyWorkerNames().get(0);

    // Load: the CDC lag goes above the target, the HPA scales up; the new workers refresh.
    try (HpaScenario.Load load = s.load(20)) {
      await("scaled up")
          .atMost(STEP)
          .pollInterval(Duration.ofSeconds(1))
          .until(
              () -> {
                LOG.info("HPA: {}", s.describeHpa());
                return s.replicas() > 1;
              });
      long up = System.currentTimeMillis();
      LOG.info("scaled up to {} workers: {}", s.replicas(), s.describeHpa());
      // What the HPA reads, as kubectl reads it (a scrape may time out on a busy machine: 503).
      String path =
          "/apis/custom.metrics.k8s.io/v1beta2/namespaces/"
              + NS.name()
              + "/streamtableclusters.trickle-labs.io/"
              + HpaScenario.STC
              + "/pg_trickle_cdc_lag_p95_ms";
      await("kubectl get --raw " + path)
          .atMost(Duration.ofSeconds(60))
          .until(() -> NS.testBed().kubectl("get", "--raw", path).ok());
      String lag = NS.testBed().kubectl("get", "--raw", path).output();
      LOG.info("kubectl get --raw {}: {}", path, lag);
      assertThat(lag)
          .contains("\"kind\":\"MetricValueList\"")
          .contains("\"name\":\"" + HpaScenario.STC + "\"")
          .contains("\"value\":");
      await("the added workers Ready")
          .atMost(STEP)
          .until(() -> s.readyWorkers() > 1 && s.readyWorkers() == s.replicas());
      await("a worker the HPA added refreshed a stream table")
          .atMost(STEP)
          .until(
              () -> {
                Set<String> added = new HashSet<>(s.workerPodNames());
                added.remove(first);
                Set<String> refreshed = s.workersThatRefreshedSince(up);
                LOG.info("added workers {}, refreshed since scale-up: {}", added, refreshed);
                return refreshed.stream().anyMatch(added::contains);
              });
      assertThat(load.rows.get()).isPositive();
    }
    // The load stops: the lag p95 window (one minute) empties, the HPA scales down to min.
    await("scaled down to 1")
        .atMost(STEP)
        .pollInterval(Duration.ofSeconds(2))
        .until(
            () -> {
              LOG.info("HPA: {}", s.describeHpa());
              return s.replicas() == 1;
            });
    await("one worker left, Ready").atMost(STEP).until(() -> s.readyWorkers() == 1);

    // The stream tables' lag, from the real worker's /metrics through the aggregator, is the
    // view's current_lag_ms: with totals_1 paused (nothing refreshes it) the served figure lies
    // between two reads of the view around it, give or take the adapter's 500 ms cache.
    s.execute("SELECT pgtrickle.pause_stream_table('totals_1')");
    Thread.sleep(3_000);
    String lagPath =
        "/apis/custom.metrics.k8s.io/v1beta2/namespaces/"
            + NS.name()
            + "/streamtableclusters.trickle-labs.io/"
            + HpaScenario.STC
            + "/pg_trickle_stream_table_lag_ms?metricLabelSelector=stream_table%3Dpublic.totals_1";
    String view =
        "SELECT current_lag_ms FROM pgtrickle.pg_stat_pgtrickle WHERE table_name = 'totals_1'";
    await("kubectl get --raw " + lagPath)
        .atMost(Duration.ofSeconds(60))
        .until(() -> NS.testBed().kubectl("get", "--raw", lagPath).ok());
    double before = Double.parseDouble(s.scalar(view));
    String served = NS.testBed().kubectl("get", "--raw", lagPath).output();
    double after = Double.parseDouble(s.scalar(view));
    LOG.info("view {} .. {} ms, served {}", before, after, served);
    assertThat(servedMs(served)).isBetween(before - 600, after + 600);
    s.execute("SELECT pgtrickle.resume_stream_table('totals_1')");

    // The adapter stops: no metric, no change; the worker keeps running; the condition says why.
    s.adapter.stop();
    await("ScalingActive=False")
        .atMost(STEP)
        .until(
            () -> {
              HorizontalPodAutoscalerCondition c = s.hpaCondition("ScalingActive");
              return c != null
                  && "False".equals(c.getStatus())
                  && c.getReason().startsWith("FailedGet");
            });
    LOG.info("HPA without the adapter: {}", s.describeHpa());
    await("AutoscalingActive=False")
        .atMost(STEP)
        .until(
            () -> {
              Condition c = s.stcCondition("AutoscalingActive");
              return c != null && "False".equals(c.getStatus());
            });
    assertThat(s.replicas()).isEqualTo(1);
    assertThat(s.readyWorkers()).isEqualTo(1);

    // Back: the HPA reads its metrics again.
    s.adapter.start();
    await("ScalingActive=True again").atMost(STEP).until(s::scalingActive);
    await("AutoscalingActive=True")
        .atMost(STEP)
        .until(
            () -> {
              Condition c = s.stcCondition("AutoscalingActive");
              return c != null && "True".equals(c.getStatus());
            });
  }

  /** The value of a one-item MetricValueList, in the metric's unit (Quantity {@code 123500m}). */
  private static double servedMs(String metricValueList) throws Exception {
    String q =
        new com.fasterxml.jackson.databind.ObjectMapper()
            .readTree(metricValueList)
            .at("/items/0/value")
            .asText();
    return q.endsWith("m")
        ? Double.parseDouble(q.substring(0, q.length() - 1)) / 1000
        : Double.parseDouble(q);
  }
}
