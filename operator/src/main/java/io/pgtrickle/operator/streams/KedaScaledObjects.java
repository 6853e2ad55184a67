package io.pgtrickle.operator.streams;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.pgtrickle.operator.ApiDiscovery;
import io.pgtrickle.operator.api.streams.StreamTableCluster;
import io.pgtrickle.operator.api.streams.WorkersSpec.Autoscaler;
import io.pgtrickle.operator.streams.spec.PipelineSettings;
import io.pgtrickle.operator.streams.spec.WorkerScaledObject;
import io.pgtrickle.operator.streams.status.ObservedPipeline.Autoscaling;
import java.util.List;
import java.util.Map;

/**
 * Applies the workers' KEDA ScaledObject for {@code workers.autoscaler: keda} once the workers run,
 * removes it when the autoscaler changes, and reports KEDA's own {@code Ready} condition for
 * AutoscalingActive. Without KEDA's CRD the condition says so (reason {@value #CRD_MISSING}) and
 * the workers keep their number.
 */
final class KedaScaledObjects {

  static final String CRD_MISSING = "KedaCrdMissing";

  private KedaScaledObjects() {}

  /**
   * @param workloadsAllowed whether the workers' Deployment may exist yet (the change log is ready)
   * @return the AutoscalingActive condition's input, or null when the autoscaler is not keda
   */
  static Autoscaling reconcile(
      KubernetesClient client,
      StreamTableCluster stc,
      PipelineSettings s,
      boolean workloadsAllowed) {
    boolean served =
        ApiDiscovery.serves(client, WorkerScaledObject.API_VERSION, WorkerScaledObject.KIND);
    if (s.autoscaler() != Autoscaler.KEDA) {
      if (served) {
        remove(client, stc, s);
      }
      return null;
    }
    if (!served) {
      return new Autoscaling(
          false,
          CRD_MISSING,
          "spec.workers.autoscaler is keda, but the keda.sh/v1alpha1 ScaledObject CRD is not"
              + " installed: install KEDA (2.19 or later), or use hpa (with the pg-trickle metrics"
              + " adapter) or none; the workers keep their number meanwhile");
    }
    if (!workloadsAllowed) {
      return new Autoscaling(false, "NotCreated", "the ScaledObject is created with the workers");
    }
    return observe(Owned.apply(client, stc, WorkerScaledObject.build(s)));
  }

  /** KEDA's {@code Ready} condition on the ScaledObject: its triggers work and its HPA exists. */
  static Autoscaling observe(GenericKubernetesResource scaledObject) {
    String name = scaledObject.getMetadata().getName();
    Object status = scaledObject.getAdditionalProperties().get("status");
    List<?> conditions =
        status instanceof Map<?, ?> m && m.get("conditions") instanceof List<?> l ? l : List.of();
    for (Object c : conditions) {
      if (c instanceof Map<?, ?> condition && "Ready".equals(condition.get("type"))) {
        Object reason = condition.get("reason");
        return new Autoscaling(
            "True".equals(condition.get("status")),
            reason == null || reason.toString().isEmpty() ? "Unknown" : reason.toString(),
            "ScaledObject " + name + ": " + condition.get("message"));
      }
    }
    return new Autoscaling(
        false, "Pending", "KEDA has not reconciled ScaledObject " + name + " yet");
  }

  /** Deletes the ScaledObject this resource owns, if any (never one somebody else made). */
  private static void remove(KubernetesClient client, StreamTableCluster stc, PipelineSettings s) {
    var resource =
        client
            .genericKubernetesResources(WorkerScaledObject.API_VERSION, WorkerScaledObject.KIND)
            .inNamespace(s.namespace())
            .withName(StreamTableClusterNames.workerAutoscaler(s.name()));
    GenericKubernetesResource existing = resource.get();
    if (existing != null
        && existing.getMetadata().getOwnerReferences().stream()
            .anyMatch(o -> stc.getMetadata().getUid().equals(o.getUid()))) {
      resource.delete();
    }
  }
}
