package io.pgtrickle.operator.api.streams;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** Observed state of a {@link StreamTableCluster}, written only by the operator. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class StreamTableClusterStatus {

  @JsonPropertyDescription(
      "Lifecycle phase: Pending, Creating, Running, Degraded, Failed or Deleting.")
  private StreamTableClusterPhase phase;

  @JsonPropertyDescription("Machine-readable reason for the current phase.")
  private String phaseReason;

  @JsonPropertyDescription("Human-readable explanation of the current phase.")
  private String message;

  @JsonPropertyDescription("The generation of the spec this status describes.")
  private Long observedGeneration;

  @JsonPropertyDescription("Ready workers / desired workers, e.g. 2/3.")
  private String workers;

  @JsonPropertyDescription("Workers whose /readyz passes.")
  private Integer readyWorkers;

  @JsonPropertyDescription(
      "Workers the Deployment wants (set by the autoscaler between min and max).")
  private Integer desiredWorkers;

  @JsonPropertyDescription("Ready CDC consumers / desired, e.g. 1/1.")
  private String cdcConsumers;

  @JsonPropertyDescription("WAL not yet confirmed by the slowest CDC consumer's slot, e.g. 12 KiB.")
  private String cdcLag;

  @JsonPropertyDescription(
      "The same in bytes (pg_current_wal_lsn() - confirmed_flush_lsn, the largest over the slots).")
  private Long cdcLagBytes;

  @JsonPropertyDescription(
      "How far, in WAL, the workers' ingest position (changes copied from the change log into"
          + " their change buffers, what a refresh waits for after the CDC) is behind the server's,"
          + " e.g. 3.0 MiB. A distance, not the work left: the pipeline's own writes while the"
          + " ingest catches up add WAL too. An idle source's position advances about once a"
          + " second, so a few KiB is normal; MiBs while CDC Lag is small mean the workers' ingest"
          + " is behind (one large transaction, or the change log).")
  private String ingestLag;

  @JsonPropertyDescription(
      "The same in bytes (pg_current_wal_lsn() - ingested_lsn of the furthest-behind captured"
          + " source in pgtrickle.pgt_change_tracking).")
  private Long ingestLagBytes;

  @JsonPropertyDescription("Stream tables in pgtrickle.pgt_stream_tables.")
  private Integer streamTables;

  @JsonPropertyDescription(
      "The largest now() - data_timestamp over the populated stream tables, in milliseconds.")
  private Long worstFreshnessLagMs;

  @JsonPropertyDescription("The stream table with that lag, schema.name.")
  private String worstFreshnessTable;

  @JsonPropertyDescription(
      "Stream tables in status ERROR: the workers stopped refreshing them after repeated failures (condition StreamTablesHealthy names them and their errors).")
  private Integer streamTablesInError;

  @JsonPropertyDescription(
      "CDC consumer ordinals whose replication slot may exist (0 to this - 1): the ones above spec.cdc.replicas are being decommissioned.")
  private Integer slotOrdinals;

  @JsonPropertyDescription(
      "Replication slots of the wanted CDC consumers that those consumers have created (seen on the"
          + " primary), by name. On PostgreSQL 16 and older the operator declares each a Patroni"
          + " permanent slot from then on, so that a switchover or failover keeps it; not before,"
          + " since a slot Patroni created ahead of the consumer would predate its publication.")
  private List<String> createdSlots;

  @JsonPropertyDescription("The change log resource, e.g. NATS stream pgtrickle-default-prod.")
  private String changeLog;

  @JsonPropertyDescription(
      "Standard conditions: Ready, Progressing, Degraded, ChangeLogReady, AutoscalingActive,"
          + " MonitoringReady, StreamTablesHealthy (False while a stream table is in ERROR).")
  private List<Condition> conditions = new ArrayList<>();

  public StreamTableClusterPhase getPhase() {
    return phase;
  }

  public void setPhase(StreamTableClusterPhase phase) {
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

  public Long getObservedGeneration() {
    return observedGeneration;
  }

  public void setObservedGeneration(Long observedGeneration) {
    this.observedGeneration = observedGeneration;
  }

  public String getWorkers() {
    return workers;
  }

  public void setWorkers(String workers) {
    this.workers = workers;
  }

  public Integer getReadyWorkers() {
    return readyWorkers;
  }

  public void setReadyWorkers(Integer readyWorkers) {
    this.readyWorkers = readyWorkers;
  }

  public Integer getDesiredWorkers() {
    return desiredWorkers;
  }

  public void setDesiredWorkers(Integer desiredWorkers) {
    this.desiredWorkers = desiredWorkers;
  }

  public String getCdcConsumers() {
    return cdcConsumers;
  }

  public void setCdcConsumers(String cdcConsumers) {
    this.cdcConsumers = cdcConsumers;
  }

  public String getCdcLag() {
    return cdcLag;
  }

  public void setCdcLag(String cdcLag) {
    this.cdcLag = cdcLag;
  }

  public String getIngestLag() {
    return ingestLag;
  }

  public void setIngestLag(String ingestLag) {
    this.ingestLag = ingestLag;
  }

  public Long getIngestLagBytes() {
    return ingestLagBytes;
  }

  public void setIngestLagBytes(Long ingestLagBytes) {
    this.ingestLagBytes = ingestLagBytes;
  }

  public Long getCdcLagBytes() {
    return cdcLagBytes;
  }

  public void setCdcLagBytes(Long cdcLagBytes) {
    this.cdcLagBytes = cdcLagBytes;
  }

  public Integer getStreamTables() {
    return streamTables;
  }

  public void setStreamTables(Integer streamTables) {
    this.streamTables = streamTables;
  }

  public Long getWorstFreshnessLagMs() {
    return worstFreshnessLagMs;
  }

  public void setWorstFreshnessLagMs(Long worstFreshnessLagMs) {
    this.worstFreshnessLagMs = worstFreshnessLagMs;
  }

  public String getWorstFreshnessTable() {
    return worstFreshnessTable;
  }

  public void setWorstFreshnessTable(String worstFreshnessTable) {
    this.worstFreshnessTable = worstFreshnessTable;
  }

  public Integer getStreamTablesInError() {
    return streamTablesInError;
  }

  public void setStreamTablesInError(Integer streamTablesInError) {
    this.streamTablesInError = streamTablesInError;
  }

  public Integer getSlotOrdinals() {
    return slotOrdinals;
  }

  public void setSlotOrdinals(Integer slotOrdinals) {
    this.slotOrdinals = slotOrdinals;
  }

  public List<String> getCreatedSlots() {
    return createdSlots;
  }

  public void setCreatedSlots(List<String> createdSlots) {
    this.createdSlots = createdSlots;
  }

  public String getChangeLog() {
    return changeLog;
  }

  public void setChangeLog(String changeLog) {
    this.changeLog = changeLog;
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
    if (!(o instanceof StreamTableClusterStatus s)) {
      return false;
    }
    return Objects.equals(phase, s.phase)
        && Objects.equals(phaseReason, s.phaseReason)
        && Objects.equals(message, s.message)
        && Objects.equals(observedGeneration, s.observedGeneration)
        && Objects.equals(workers, s.workers)
        && Objects.equals(readyWorkers, s.readyWorkers)
        && Objects.equals(desiredWorkers, s.desiredWorkers)
        && Objects.equals(cdcConsumers, s.cdcConsumers)
        && Objects.equals(cdcLag, s.cdcLag)
        && Objects.equals(cdcLagBytes, s.cdcLagBytes)
        && Objects.equals(ingestLag, s.ingestLag)
        && Objects.equals(ingestLagBytes, s.ingestLagBytes)
        && Objects.equals(streamTablesInError, s.streamTablesInError)
        && Objects.equals(streamTables, s.streamTables)
        && Objects.equals(worstFreshnessLagMs, s.worstFreshnessLagMs)
        && Objects.equals(worstFreshnessTable, s.worstFreshnessTable)
        && Objects.equals(slotOrdinals, s.slotOrdinals)
        && Objects.equals(createdSlots, s.createdSlots)
        && Objects.equals(changeLog, s.changeLog)
        && Objects.equals(conditions, s.conditions);
  }

  @Override
  public int hashCode() {
    return Objects.hash(
        phase,
        phaseReason,
        message,
        observedGeneration,
        workers,
        readyWorkers,
        desiredWorkers,
        cdcConsumers,
        cdcLag,
        cdcLagBytes,
        ingestLag,
        ingestLagBytes,
        streamTablesInError,
        streamTables,
        worstFreshnessLagMs,
        worstFreshnessTable,
        slotOrdinals,
        createdSlots,
        changeLog,
        conditions);
  }
}
