package io.pgtrickle.operator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** Prometheus metrics of the PostgreSQL pods. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class MetricsSpec {

  @JsonPropertyDescription("Run a metrics exporter beside PostgreSQL. Default false.")
  private Boolean enabled;

  public Boolean getEnabled() {
    return enabled;
  }

  public void setEnabled(Boolean enabled) {
    this.enabled = enabled;
  }
}
