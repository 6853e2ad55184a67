package io.pgtrickle.operator.api.streams;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Quantity;

/** CPU and memory, as Kubernetes quantities (a container's requests or its limits). */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class ResourceAmounts {

  @JsonPropertyDescription("CPU, e.g. 250m or 2.")
  private Quantity cpu;

  @JsonPropertyDescription("Memory, e.g. 512Mi or 1Gi.")
  private Quantity memory;

  public ResourceAmounts() {}

  public ResourceAmounts(Quantity cpu, Quantity memory) {
    this.cpu = cpu;
    this.memory = memory;
  }

  public Quantity getCpu() {
    return cpu;
  }

  public void setCpu(Quantity cpu) {
    this.cpu = cpu;
  }

  public Quantity getMemory() {
    return memory;
  }

  public void setMemory(Quantity memory) {
    this.memory = memory;
  }
}
