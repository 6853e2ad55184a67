package io.pgtrickle.operator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.ValidationRule;

/** Patroni timings; keep loopWait + 2 * retryTimeout <= ttl. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
    value =
        "(has(self.loopWait) ? self.loopWait : 2) + 2 * (has(self.retryTimeout) ? self.retryTimeout"
            + " : 3) <= (has(self.ttl) ? self.ttl : 20)",
    message =
        "spec.patroni: loopWait + 2 * retryTimeout must not exceed ttl (defaults: ttl 20, loopWait"
            + " 2, retryTimeout 3)",
    reason = "FieldValueInvalid")
public class PatroniSpec {

  @Min(20)
  @JsonPropertyDescription(
      "Seconds the leader lock lives without renewal; a crashed primary is replaced after about this long. At least 20 (Patroni raises smaller values). Default 20.")
  private Integer ttl;

  @Min(1)
  @JsonPropertyDescription("Seconds between Patroni HA loop runs. Default 2.")
  private Integer loopWait;

  @Min(3)
  @JsonPropertyDescription(
      "Seconds Patroni retries the DCS and PostgreSQL before demoting. At least 3. Default 3.")
  private Integer retryTimeout;

  @Min(0)
  @JsonPropertyDescription(
      "Seconds a crashed primary that still holds its leader lock may take to come back (PostgreSQL's start, or Patroni's crash recovery, which first pushes the WAL files waiting for archive_command) before Patroni hands the lock to a healthy replica (Patroni's primary_start_timeout). 0 fails over at once rather than restart the primary. A failover may lose the last acknowledged writes in asynchronous mode. Default 10, within the 30 s failover objective (Patroni's own default, 300, waits five minutes, for instance on an unreachable backup repository).")
  private Integer primaryStartTimeout;

  @JsonPropertyDescription(
      "When the primary's container has stopped (its pod reports it terminated or waiting to restart) and its Patroni API does not answer, the operator releases the primary's leader lock at once, so the synchronous standby (or the most advanced replica) takes over within seconds instead of after ttl. Patroni's own rules still decide who is promoted. Default true; false leaves failover to lock expiry alone.")
  private Boolean fastFailover;

  public Integer getTtl() {
    return ttl;
  }

  public void setTtl(Integer ttl) {
    this.ttl = ttl;
  }

  public Integer getLoopWait() {
    return loopWait;
  }

  public void setLoopWait(Integer loopWait) {
    this.loopWait = loopWait;
  }

  public Integer getRetryTimeout() {
    return retryTimeout;
  }

  public void setRetryTimeout(Integer retryTimeout) {
    this.retryTimeout = retryTimeout;
  }

  public Integer getPrimaryStartTimeout() {
    return primaryStartTimeout;
  }

  public void setPrimaryStartTimeout(Integer primaryStartTimeout) {
    this.primaryStartTimeout = primaryStartTimeout;
  }

  public Boolean getFastFailover() {
    return fastFailover;
  }

  public void setFastFailover(Boolean fastFailover) {
    this.fastFailover = fastFailover;
  }
}
