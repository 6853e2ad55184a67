package io.pgtrickle.operator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Min;

/** PgBouncer connection pooling in front of the primary. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class PgBouncerSpec {

  @JsonPropertyDescription("Run PgBouncer. Default false.")
  private Boolean enabled;

  @JsonPropertyDescription("Pooling mode: session, transaction (default) or statement.")
  private PoolMode poolMode;

  @Min(1)
  @JsonPropertyDescription("Maximum client connections PgBouncer accepts.")
  private Integer maxClientConn;

  public Boolean getEnabled() {
    return enabled;
  }

  public void setEnabled(Boolean enabled) {
    this.enabled = enabled;
  }

  public PoolMode getPoolMode() {
    return poolMode;
  }

  public void setPoolMode(PoolMode poolMode) {
    this.poolMode = poolMode;
  }

  public Integer getMaxClientConn() {
    return maxClientConn;
  }

  public void setMaxClientConn(Integer maxClientConn) {
    this.maxClientConn = maxClientConn;
  }
}
