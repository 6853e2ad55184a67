package io.pgtrickle.operator.streams.spec;

import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscalerBuilder;
import io.fabric8.kubernetes.api.model.autoscaling.v2.MetricSpec;
import io.fabric8.kubernetes.api.model.autoscaling.v2.MetricSpecBuilder;
import io.pgtrickle.operator.api.streams.StreamTableCluster;
import io.pgtrickle.operator.streams.StreamTableClusterNames;

/**
 * The workers' HorizontalPodAutoscaler {@code NAME-worker} (autoscaling/v2), between {@code
 * workers.min} and {@code workers.max}, on two custom metrics served by the pg-trickle metrics
 * adapter (issue #15, ../shared/reference/metrics-adapter.md):
 *
 * <ul>
 *   <li>Object metric {@value #CDC_LAG_METRIC} described by this StreamTableCluster, target type
 *       {@code Value} = {@code targetCdcLagMs}: lag belongs to the pipeline, not to a pod, and a
 *       {@code Value} target scales proportionally (desired = ceil(ready workers x lag / target)),
 *       which is what a lag needs; an {@code AverageValue} target would divide the lag by a
 *       constant and never add a worker once that many ran.
 *   <li>Pods metric {@value #CPU_METRIC} with an {@code AverageValue} target of {@code
 *       targetCpuPercent} (percent of one core, as the workers report it): no CPU requests needed,
 *       unlike the Resource metric.
 * </ul>
 *
 * The HPA takes the larger of the two. Behaviour is Kubernetes' default (scale up at once, scale
 * down after 5 minutes of lower recommendations).
 */
public final class WorkerAutoscaler {

  public static final String CDC_LAG_METRIC = "pg_trickle_cdc_lag_p95_ms";
  public static final String CPU_METRIC = "pg_trickle_worker_cpu_percent";

  private WorkerAutoscaler() {}

  public static HorizontalPodAutoscaler build(PipelineSettings s) {
    String name = s.name();
    return new HorizontalPodAutoscalerBuilder()
        .withNewMetadata()
        .withName(StreamTableClusterNames.workerAutoscaler(name))
        .withNamespace(s.namespace())
        .withLabels(s.labels(StreamTableClusterNames.WORKER_COMPONENT))
        .endMetadata()
        .withNewSpec()
        .withNewScaleTargetRef()
        .withApiVersion("apps/v1")
        .withKind("Deployment")
        .withName(StreamTableClusterNames.workerDeployment(name))
        .endScaleTargetRef()
        .withMinReplicas(s.workersMin())
        .withMaxReplicas(s.workersMax())
        .withMetrics(cdcLag(s), cpu(s))
        .endSpec()
        .build();
  }

  private static MetricSpec cdcLag(PipelineSettings s) {
    return new MetricSpecBuilder()
        .withType("Object")
        .withNewObject()
        .withNewDescribedObject()
        .withApiVersion(StreamTableCluster.API_VERSION)
        .withKind("StreamTableCluster")
        .withName(s.name())
        .endDescribedObject()
        .withNewMetric()
        .withName(CDC_LAG_METRIC)
        .endMetric()
        .withNewTarget()
        .withType("Value")
        .withValue(new Quantity(String.valueOf(s.targetCdcLagMs())))
        .endTarget()
        .endObject()
        .build();
  }

  private static MetricSpec cpu(PipelineSettings s) {
    return new MetricSpecBuilder()
        .withType("Pods")
        .withNewPods()
        .withNewMetric()
        .withName(CPU_METRIC)
        .endMetric()
        .withNewTarget()
        .withType("AverageValue")
        .withAverageValue(new Quantity(String.valueOf(s.targetCpuPercent())))
        .endTarget()
        .endPods()
        .build();
  }
}
