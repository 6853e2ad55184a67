package io.pgtrickle.operator.api.streams;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;

/** A reference to an object in the StreamTableCluster's own namespace, by name. */
public class NameReference {

  @Required
  @JsonPropertyDescription("Name of the object in the same namespace.")
  @Size(max = 253)
  private String name;

  public NameReference() {}

  public NameReference(String name) {
    this.name = name;
  }

  public String getName() {
    return name;
  }

  public void setName(String name) {
    this.name = name;
  }
}
