package io.pgtrickle.operator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.Objects;

/** Observed state of a {@link PostgresBackup}, written only by the operator. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class PostgresBackupStatus {

  @JsonPropertyDescription("Pending, Scheduled, Running, Succeeded (one-off done) or Failed.")
  private BackupPhase phase;

  @JsonPropertyDescription("What is happening or what is wrong, for people.")
  private String message;

  @JsonPropertyDescription("When the newest backup of this resource completed (UTC, RFC 3339).")
  private String lastBackup;

  @JsonPropertyDescription("Size of the database in the newest backup, e.g. 1.2GB.")
  private String lastBackupSize;

  @JsonPropertyDescription("pgBackRest's label of the newest backup of this resource.")
  private String lastBackupName;

  @JsonPropertyDescription("full, diff or incr: the type of the newest backup of this resource.")
  private String lastBackupType;

  @JsonPropertyDescription(
      "The member (pod) whose files the newest backup of this resource read: the primary, or a"
          + " streaming replica with spec.backup.backupFromReplica.")
  private String lastBackupMember;

  @JsonPropertyDescription("primary or replica: the role of lastBackupMember during the backup.")
  private String lastBackupSource;

  @JsonPropertyDescription("How many backups of this resource the repository holds.")
  private Integer backupCount;

  @JsonPropertyDescription(
      "When the schedule runs next (UTC, RFC 3339); absent without a schedule.")
  private String nextScheduled;

  @JsonPropertyDescription("This resource's backups in the repository, oldest first.")
  private java.util.List<BackupRecord> backups;

  @JsonPropertyDescription(
      "The newest backup Job (one-off, triggered or scheduled) whose outcome this status reports.")
  private String lastJob;

  @JsonPropertyDescription(
      "How many Jobs the operator created itself for this resource (its one-off backup and each"
          + " trigger): the next one is NAME-(jobSequence+1).")
  private Integer jobSequence;

  @JsonPropertyDescription("The generation of the spec this status describes.")
  private Long observedGeneration;

  @JsonPropertyDescription(
      "Ready (configured and waiting for its schedule or done), BackupRunning, LastBackupSucceeded,"
          + " RepositoryReadable (whether pgbackrest info read the repository when a Job was made"
          + " or reported: False RepositoryUnreachable names the repository that did not answer,"
          + " RepositoryBucketMissing the bucket the store says does not exist).")
  private java.util.List<io.fabric8.kubernetes.api.model.Condition> conditions =
      new java.util.ArrayList<>();

  public String getLastJob() {
    return lastJob;
  }

  public void setLastJob(String lastJob) {
    this.lastJob = lastJob;
  }

  public Integer getJobSequence() {
    return jobSequence;
  }

  public void setJobSequence(Integer jobSequence) {
    this.jobSequence = jobSequence;
  }

  public String getLastBackupMember() {
    return lastBackupMember;
  }

  public void setLastBackupMember(String lastBackupMember) {
    this.lastBackupMember = lastBackupMember;
  }

  public String getLastBackupSource() {
    return lastBackupSource;
  }

  public void setLastBackupSource(String lastBackupSource) {
    this.lastBackupSource = lastBackupSource;
  }

  public BackupPhase getPhase() {
    return phase;
  }

  public void setPhase(BackupPhase phase) {
    this.phase = phase;
  }

  public String getMessage() {
    return message;
  }

  public void setMessage(String message) {
    this.message = message;
  }

  public String getLastBackup() {
    return lastBackup;
  }

  public void setLastBackup(String lastBackup) {
    this.lastBackup = lastBackup;
  }

  public String getLastBackupSize() {
    return lastBackupSize;
  }

  public void setLastBackupSize(String lastBackupSize) {
    this.lastBackupSize = lastBackupSize;
  }

  public String getLastBackupName() {
    return lastBackupName;
  }

  public void setLastBackupName(String lastBackupName) {
    this.lastBackupName = lastBackupName;
  }

  public String getLastBackupType() {
    return lastBackupType;
  }

  public void setLastBackupType(String lastBackupType) {
    this.lastBackupType = lastBackupType;
  }

  public Integer getBackupCount() {
    return backupCount;
  }

  public void setBackupCount(Integer backupCount) {
    this.backupCount = backupCount;
  }

  public String getNextScheduled() {
    return nextScheduled;
  }

  public void setNextScheduled(String nextScheduled) {
    this.nextScheduled = nextScheduled;
  }

  public java.util.List<BackupRecord> getBackups() {
    return backups;
  }

  public void setBackups(java.util.List<BackupRecord> backups) {
    this.backups = backups;
  }

  public Long getObservedGeneration() {
    return observedGeneration;
  }

  public void setObservedGeneration(Long observedGeneration) {
    this.observedGeneration = observedGeneration;
  }

  public java.util.List<io.fabric8.kubernetes.api.model.Condition> getConditions() {
    return conditions;
  }

  public void setConditions(java.util.List<io.fabric8.kubernetes.api.model.Condition> conditions) {
    this.conditions = conditions;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof PostgresBackupStatus other
        && Objects.equals(phase, other.phase)
        && Objects.equals(message, other.message)
        && Objects.equals(lastBackup, other.lastBackup)
        && Objects.equals(lastBackupSize, other.lastBackupSize)
        && Objects.equals(lastBackupName, other.lastBackupName)
        && Objects.equals(lastBackupType, other.lastBackupType)
        && Objects.equals(lastBackupMember, other.lastBackupMember)
        && Objects.equals(lastBackupSource, other.lastBackupSource)
        && Objects.equals(backupCount, other.backupCount)
        && Objects.equals(nextScheduled, other.nextScheduled)
        && Objects.equals(backups, other.backups)
        && Objects.equals(lastJob, other.lastJob)
        && Objects.equals(jobSequence, other.jobSequence)
        && Objects.equals(observedGeneration, other.observedGeneration)
        && Objects.equals(conditions, other.conditions);
  }

  @Override
  public int hashCode() {
    return Objects.hash(
        phase,
        message,
        lastBackup,
        lastBackupSize,
        lastBackupName,
        lastBackupType,
        lastBackupMember,
        lastBackupSource,
        backupCount,
        nextScheduled,
        backups,
        lastJob,
        jobSequence,
        observedGeneration,
        conditions);
  }
}
