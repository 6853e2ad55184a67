package io.pgtrickle.operator.streams.spec;

import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import io.pgtrickle.operator.api.streams.ContainerResources;
import io.pgtrickle.operator.api.streams.ResourceAmounts;
import java.util.Map;
import java.util.TreeMap;

/**
 * CPU and memory of the pipeline's containers: the spec's {@code resources} as given, or these
 * defaults. The defaults request what a quiet pipeline uses and cap memory, so a scheduler places
 * the pods honestly and a namespace with a ResourceQuota accepts them; the JVMs size their heap at
 * half the memory limit ({@code -XX:MaxRAMPercentage=50} in the images). CPU has no default limit:
 * a throttled CDC consumer falls behind the WAL instead of using an idle core.
 */
public final class PipelineResources {

  /** A worker: requests cpu 100m, memory 256Mi; limit memory 512Mi. */
  public static final ResourceRequirements WORKER_DEFAULT = of("100m", "256Mi", "512Mi");

  /**
   * A CDC consumer: requests cpu 250m, memory 512Mi; limit memory 1Gi (its memory is bounded by two
   * batches of decoded changes, 5,000 events each, see cdc-consumer/README.md, plus the drivers of
   * its change log).
   */
  public static final ResourceRequirements CDC_DEFAULT = of("250m", "512Mi", "1Gi");

  private PipelineResources() {}

  /**
   * The requirements a container gets.
   *
   * @param given the spec's {@code resources}, or null
   * @param defaults what applies when the spec gives none
   * @return {@code given} as it is (not merged with the defaults) when it names any request or
   *     limit, else a copy of {@code defaults}
   */
  public static ResourceRequirements orDefault(
      ContainerResources given, ResourceRequirements defaults) {
    Map<String, Quantity> requests = given == null ? Map.of() : amounts(given.getRequests());
    Map<String, Quantity> limits = given == null ? Map.of() : amounts(given.getLimits());
    if (requests.isEmpty() && limits.isEmpty()) {
      return new ResourceRequirementsBuilder(defaults).build();
    }
    ResourceRequirementsBuilder b = new ResourceRequirementsBuilder();
    if (!requests.isEmpty()) {
      b.withRequests(requests);
    }
    if (!limits.isEmpty()) {
      b.withLimits(limits);
    }
    return b.build();
  }

  private static Map<String, Quantity> amounts(ResourceAmounts a) {
    Map<String, Quantity> m = new TreeMap<>();
    if (a != null && a.getCpu() != null) {
      m.put("cpu", a.getCpu());
    }
    if (a != null && a.getMemory() != null) {
      m.put("memory", a.getMemory());
    }
    return m;
  }

  private static ResourceRequirements of(String cpu, String memory, String memoryLimit) {
    return new ResourceRequirementsBuilder()
        .addToRequests("cpu", new Quantity(cpu))
        .addToRequests("memory", new Quantity(memory))
        .addToLimits("memory", new Quantity(memoryLimit))
        .build();
  }
}
