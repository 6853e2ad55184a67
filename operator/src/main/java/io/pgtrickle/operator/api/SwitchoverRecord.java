package io.pgtrickle.operator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.Objects;

/**
 * A switchover the operator asked Patroni for (a rollout, a scale-down, the switchover annotation),
 * kept in the status until the primary moved, so that the Event for the move says switchover rather
 * than failover, also after an operator restart.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class SwitchoverRecord {

  @JsonPropertyDescription("The primary the switchover was asked of.")
  private String from;

  @JsonPropertyDescription(
      "The member asked to take over; absent when Patroni picks (the synchronous standby).")
  private String to;

  @JsonPropertyDescription("When Patroni accepted the switchover (UTC, RFC 3339).")
  private String acceptedAt;

  public SwitchoverRecord() {}

  public SwitchoverRecord(String from, String to, String acceptedAt) {
    this.from = from;
    this.to = to;
    this.acceptedAt = acceptedAt;
  }

  public String getFrom() {
    return from;
  }

  public void setFrom(String from) {
    this.from = from;
  }

  public String getTo() {
    return to;
  }

  public void setTo(String to) {
    this.to = to;
  }

  public String getAcceptedAt() {
    return acceptedAt;
  }

  public void setAcceptedAt(String acceptedAt) {
    this.acceptedAt = acceptedAt;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SwitchoverRecord other
        && Objects.equals(from, other.from)
        && Objects.equals(to, other.to)
        && Objects.equals(acceptedAt, other.acceptedAt);
  }

  @Override
  public int hashCode() {
    return Objects.hash(from, to, acceptedAt);
  }

  @Override
  public String toString() {
    return "SwitchoverRecord{from=" + from + ", to=" + to + ", acceptedAt=" + acceptedAt + "}";
  }
}
