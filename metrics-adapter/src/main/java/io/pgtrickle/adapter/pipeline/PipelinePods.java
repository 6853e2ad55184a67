package io.pgtrickle.adapter.pipeline;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.Pod;
import io.pgtrickle.adapter.sources.PodScraper;
import java.util.Optional;

/** Which pods can be scraped, and where (pure). */
public final class PipelinePods {

  private PipelinePods() {}

  /**
   * Where a pod serves {@code /metrics}: its container port named {@value
   * PipelineNames#METRICS_PORT_NAME}, else its {@code prometheus.io/port} annotation, else {@value
   * PipelineNames#DEFAULT_METRICS_PORT}; only for a running pod with an IP.
   *
   * @param pod the pod
   * @return the target, or empty if the pod is not running (pending, finished, no IP yet)
   */
  public static Optional<PodScraper.Target> target(Pod pod) {
    if (pod.getStatus() == null
        || !"Running".equals(pod.getStatus().getPhase())
        || pod.getStatus().getPodIP() == null
        || pod.getStatus().getPodIP().isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(
        new PodScraper.Target(
            pod.getMetadata().getNamespace(),
            pod.getMetadata().getName(),
            pod.getStatus().getPodIP(),
            metricsPort(pod)));
  }

  /**
   * Whether the pod's {@code Ready} condition is {@code True}. A running pod that is not ready yet
   * is often still starting (its program not yet listening), so a failed scrape of it is expected.
   *
   * @param pod the pod
   * @return true if ready
   */
  public static boolean ready(Pod pod) {
    return pod.getStatus() != null
        && pod.getStatus().getConditions() != null
        && pod.getStatus().getConditions().stream()
            .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
  }

  /** Whether the pod is being deleted (drains; its figures no longer speak for the pipeline). */
  public static boolean terminating(Pod pod) {
    return pod.getMetadata().getDeletionTimestamp() != null;
  }

  static int metricsPort(Pod pod) {
    if (pod.getSpec() != null && pod.getSpec().getContainers() != null) {
      for (Container c : pod.getSpec().getContainers()) {
        if (c.getPorts() == null) {
          continue;
        }
        for (ContainerPort p : c.getPorts()) {
          if (PipelineNames.METRICS_PORT_NAME.equals(p.getName()) && p.getContainerPort() != null) {
            return p.getContainerPort();
          }
        }
      }
    }
    String annotated =
        pod.getMetadata().getAnnotations() == null
            ? null
            : pod.getMetadata().getAnnotations().get("prometheus.io/port");
    if (annotated != null) {
      try {
        return Integer.parseInt(annotated.strip());
      } catch (NumberFormatException e) {
        // the default below
      }
    }
    return PipelineNames.DEFAULT_METRICS_PORT;
  }
}
