package io.pgtrickle.operator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** Observed state of a {@link PostgresCluster}, written only by the operator. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class PostgresClusterStatus {

  @JsonPropertyDescription(
      "Lifecycle phase: Pending, Creating, Running, Updating, Scaling, Degraded, Recovering,"
          + " Failed or Deleting.")
  private ClusterPhase phase;

  @JsonPropertyDescription("Machine-readable reason for the current phase.")
  private String phaseReason;

  @JsonPropertyDescription("Human-readable explanation of the current phase.")
  private String message;

  @JsonPropertyDescription("Number of members whose PostgreSQL is ready.")
  private Integer readyReplicas;

  @JsonPropertyDescription("Ready members / desired members, e.g. 2/3.")
  private String replicas;

  @JsonPropertyDescription("Name of the pod that is the primary, from Patroni's role label.")
  private String primaryPod;

  @JsonPropertyDescription("The generation of the spec this status describes.")
  private Long observedGeneration;

  @JsonPropertyDescription(
      "Hash of the Patroni dynamic configuration (timings, synchronous mode, parameters) last"
          + " applied through Patroni's REST API.")
  private String patroniConfigHash;

  @JsonPropertyDescription(
      "The switchover the operator last asked Patroni for, kept until the primary moved (at most"
          + " 5 minutes): the Event for that move is SwitchoverCompleted, not Failover.")
  private SwitchoverRecord switchover;

  @JsonPropertyDescription(
      "The smallest capacity among the members' volumes (their claims' status.capacity), as last"
          + " observed. spec.storage.size may go back down to it (a growth the storage could not"
          + " make, undone), never below.")
  private String storageSize;

  @JsonPropertyDescription("Standard conditions: Ready, Progressing and Degraded.")
  private List<Condition> conditions = new ArrayList<>();

  public String getStorageSize() {
    return storageSize;
  }

  public void setStorageSize(String storageSize) {
    this.storageSize = storageSize;
  }

  public ClusterPhase getPhase() {
    return phase;
  }

  public void setPhase(ClusterPhase phase) {
    this.phase = phase;
  }

  public String getPhaseReason() {
    return phaseReason;
  }

  public void setPhaseReason(String phaseReason) {
    this.phaseReason = phaseReason;
  }

  public String getMessage() {
    return message;
  }

  public void setMessage(String message) {
    this.message = message;
  }

  public Integer getReadyReplicas() {
    return readyReplicas;
  }

  public void setReadyReplicas(Integer readyReplicas) {
    this.readyReplicas = readyReplicas;
  }

  public String getReplicas() {
    return replicas;
  }

  public void setReplicas(String replicas) {
    this.replicas = replicas;
  }

  public String getPrimaryPod() {
    return primaryPod;
  }

  public void setPrimaryPod(String primaryPod) {
    this.primaryPod = primaryPod;
  }

  public Long getObservedGeneration() {
    return observedGeneration;
  }

  public void setObservedGeneration(Long observedGeneration) {
    this.observedGeneration = observedGeneration;
  }

  public String getPatroniConfigHash() {
    return patroniConfigHash;
  }

  public void setPatroniConfigHash(String patroniConfigHash) {
    this.patroniConfigHash = patroniConfigHash;
  }

  public SwitchoverRecord getSwitchover() {
    return switchover;
  }

  public void setSwitchover(SwitchoverRecord switchover) {
    this.switchover = switchover;
  }

  public List<Condition> getConditions() {
    return conditions;
  }

  public void setConditions(List<Condition> conditions) {
    this.conditions = conditions;
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof PostgresClusterStatus other)) {
      return false;
    }
    return phase == other.phase
        && Objects.equals(phaseReason, other.phaseReason)
        && Objects.equals(message, other.message)
        && Objects.equals(readyReplicas, other.readyReplicas)
        && Objects.equals(replicas, other.replicas)
        && Objects.equals(primaryPod, other.primaryPod)
        && Objects.equals(observedGeneration, other.observedGeneration)
        && Objects.equals(patroniConfigHash, other.patroniConfigHash)
        && Objects.equals(switchover, other.switchover)
        && Objects.equals(storageSize, other.storageSize)
        && Objects.equals(conditions, other.conditions);
  }

  @Override
  public int hashCode() {
    return Objects.hash(
        phase,
        phaseReason,
        message,
        readyReplicas,
        replicas,
        primaryPod,
        observedGeneration,
        switchover,
        storageSize,
        conditions);
  }
}
