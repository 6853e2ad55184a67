package io.pgtrickle.operator.streams;

import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.pgtrickle.operator.api.streams.StreamTableCluster;
import io.pgtrickle.operator.api.streams.WorkersSpec.Autoscaler;
import io.pgtrickle.operator.streams.spec.PipelineSettings;
import io.pgtrickle.operator.streams.status.ObservedPipeline.Autoscaling;

/** The workers' HPA as its controller reports it, for the AutoscalingActive condition. */
final class HpaAutoscaling {

  private HpaAutoscaling() {}

  /**
   * The AutoscalingActive condition's input: what the HPA itself says, explained when the custom
   * metrics API is why it fails ({@link CustomMetricsApi}).
   */
  static Autoscaling observe(
      KubernetesClient client, Context<StreamTableCluster> context, PipelineSettings settings) {
    if (settings.autoscaler() == Autoscaler.NONE) {
      return new Autoscaling(
          false,
          "Disabled",
          "spec.workers.autoscaler is none: " + settings.workersMin() + " worker(s), not scaled");
    }
    HorizontalPodAutoscaler hpa =
        context.getSecondaryResource(HorizontalPodAutoscaler.class).orElse(null);
    if (hpa == null) {
      return new Autoscaling(false, "NotCreated", "the HPA is created with the workers");
    }
    var active =
        hpa.getStatus() == null || hpa.getStatus().getConditions() == null
            ? null
            : hpa.getStatus().getConditions().stream()
                .filter(c -> "ScalingActive".equals(c.getType()))
                .findFirst()
                .orElse(null);
    if (active == null) {
      return new Autoscaling(
          false,
          "Pending",
          "the HPA controller has not evaluated HPA " + hpa.getMetadata().getName() + " yet");
    }
    return CustomMetricsApi.explain(
        client,
        new Autoscaling(
            "True".equals(active.getStatus()),
            active.getReason() == null ? "Unknown" : active.getReason(),
            "HPA " + hpa.getMetadata().getName() + ": " + active.getMessage()));
  }
}
