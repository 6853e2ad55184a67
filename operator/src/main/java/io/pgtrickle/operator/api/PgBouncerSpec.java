package io.pgtrickle.operator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.ValidationRule;

/** PgBouncer connection pooling in front of the primary. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
    value =
        "(has(self.enabled) && self.enabled) || (!has(self.poolMode) && !has(self.maxClientConn))",
    message =
        "spec.pgbouncer.poolMode and maxClientConn need spec.pgbouncer.enabled: true (without it"
            + " no PgBouncer runs); to turn the pooler off, remove spec.pgbouncer (kubectl patch"
            + " ... --type merge -p '{\"spec\":{\"pgbouncer\":null}}')",
    reason = "FieldValueForbidden")
public class PgBouncerSpec {

  @JsonPropertyDescription("Run PgBouncer. Default false.")
  private Boolean enabled;

  @JsonPropertyDescription(
      "Pooling mode: session, transaction (default) or statement. Needs enabled: true.")
  private PoolMode poolMode;

  @Min(1)
  @JsonPropertyDescription(
      "Maximum client connections PgBouncer accepts. Default 1000. Needs enabled: true.")
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
