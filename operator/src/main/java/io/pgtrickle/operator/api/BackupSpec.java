package io.pgtrickle.operator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.ValidationRule;

/**
 * Continuous WAL archiving and base backups with pgBackRest: the repository of the cluster, and
 * optionally a schedule of full backups. {@link PostgresBackup} resources schedule and trigger more
 * backups into the same repository.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
    value = "!has(self.retention) || has(self.schedule)",
    message =
        "spec.backup.retention applies to the scheduled backups of spec.backup.schedule: give a"
            + " schedule, or set retention on a PostgresBackup",
    reason = "FieldValueInvalid")
@ValidationRule(
    value =
        "!has(self.destination) || !has(self.destination.type) || self.destination.type != 'S3'"
            + " || has(self.destination.credentialsSecret)",
    message =
        "spec.backup.destination.credentialsSecret is required: instance credentials (IAM roles)"
            + " are not built yet",
    reason = "FieldValueRequired")
@ValidationRule(
    value = BackupSpec.ENCRYPTION_KEPT_RULE,
    message =
        "spec.backup.encryption.enabled cannot change while the repository stays the same: its"
            + " files are encrypted or not from stanza creation on. To change it, point"
            + " spec.backup.destination at a new repository in the same edit (a new path, bucket,"
            + " endpoint or type)",
    reason = "FieldValueForbidden",
    fieldPath = ".encryption")
public class BackupSpec {

  /** The repository now: [type, bucket, endpoint, path], absent ones as PVC or ''. */
  private static final String REPOSITORY_NOW =
      "(has(self.destination) ? ["
          + "has(self.destination.type) ? self.destination.type : 'PVC',"
          + " has(self.destination.bucket) ? self.destination.bucket : '',"
          + " has(self.destination.endpoint) ? self.destination.endpoint : '',"
          + " has(self.destination.path) ? self.destination.path : ''"
          + "] : ['PVC', '', '', ''])";

  /** The repository before the change, likewise. */
  private static final String REPOSITORY_BEFORE =
      "(has(oldSelf.destination) ? ["
          + "has(oldSelf.destination.type) ? oldSelf.destination.type : 'PVC',"
          + " has(oldSelf.destination.bucket) ? oldSelf.destination.bucket : '',"
          + " has(oldSelf.destination.endpoint) ? oldSelf.destination.endpoint : '',"
          + " has(oldSelf.destination.path) ? oldSelf.destination.path : ''"
          + "] : ['PVC', '', '', ''])";

  /**
   * Transition rule: {@code encryption.enabled} (absent: false) may change only together with the
   * repository, identified by the destination's type (absent: PVC), bucket, endpoint and path.
   * Evaluated only when both the old and the new object have {@code spec.backup}.
   */
  static final String ENCRYPTION_KEPT_RULE =
      "(has(self.encryption) && has(self.encryption.enabled) && self.encryption.enabled)"
          + " == (has(oldSelf.encryption) && has(oldSelf.encryption.enabled)"
          + " && oldSelf.encryption.enabled)"
          + " || "
          + REPOSITORY_NOW
          + " != "
          + REPOSITORY_BEFORE;

  @JsonPropertyDescription(
      "Cron schedule (UTC) of base backups, e.g. \"0 2 * * *\": the operator creates the"
          + " PostgresBackup NAME-schedule with it and spec.backup.retention (see kubectl get"
          + " postgresbackup). Absent: backups only as PostgresBackup resources ask for them.")
  @ValidationRule(
      value = PostgresBackupSpec.SCHEDULE_RULE,
      message =
          "spec.backup.schedule must be a cron expression of five fields (minute 0-59, hour"
              + " 0-23, day-of-month 1-31, month 1-12 or JAN-DEC, day-of-week 0-6 or SUN-SAT; each"
              + " *, a value, a range or a list of them, optionally with /STEP; e.g. \"0 2 * * *\")"
              + " or one of @yearly, @monthly, @weekly, @daily, @hourly, as a CronJob takes it",
      reason = "FieldValueInvalid")
  // Bounded so that the API server's cost estimate of the rule above stays within its budget.
  @io.fabric8.generator.annotation.Size(max = 100)
  private String schedule;

  @JsonPropertyDescription(
      "Retention of the scheduled backups (NAME-schedule): defaults 7 days, 5 backups.")
  private RetentionSpec retention;

  @JsonPropertyDescription("Where backups and archived WAL are stored; default a PVC.")
  private BackupDestination destination;

  @JsonPropertyDescription(
      "Compression of backups and archived WAL: zstd (default), lz4, gz or none.")
  private Compression compression;

  @JsonPropertyDescription(
      "Copy the data files from a streaming replica to spare the primary (pgBackRest's"
          + " backup-standby: the backup still starts and stops on the primary, reached through the"
          + " pgBackRest TLS server every member then runs). Needs spec.replicas >= 2; a backup"
          + " that finds no streaming replica fails (condition reason NoStreamingReplica), it never"
          + " falls back to the primary. Default false.")
  private Boolean backupFromReplica;

  @JsonPropertyDescription(
      "Encryption at rest (pgBackRest repository cipher aes-256-cbc, client-side: the object"
          + " store never sees plaintext). Fixed for a repository: enabled can change only"
          + " together with spec.backup.destination pointing at a new repository (a new path,"
          + " bucket, endpoint or type), else the API server refuses the change.")
  private EncryptionSpec encryption;

  @JsonPropertyDescription(
      "Processes a backup copies with (pgBackRest's process-max for the backup command), 1 to"
          + " 16; default 2 (as CloudNativePG's backup jobs). Each one reads, checksums and"
          + " compresses a file at a time, about a core's worth of CPU in the backup Job's pod and"
          + " in the member it reads (through the member's pgBackRest TLS server): 1 spares a"
          + " busy member, more gains only with the cores (make bench-backup,"
          + " operator/README.md). Takes effect with the next backup; WAL archiving and restores"
          + " keep one process.")
  @Min(1)
  @Max(16)
  private Integer processMax;

  public String getSchedule() {
    return schedule;
  }

  public void setSchedule(String schedule) {
    this.schedule = schedule;
  }

  public RetentionSpec getRetention() {
    return retention;
  }

  public void setRetention(RetentionSpec retention) {
    this.retention = retention;
  }

  public BackupDestination getDestination() {
    return destination;
  }

  public void setDestination(BackupDestination destination) {
    this.destination = destination;
  }

  public Compression getCompression() {
    return compression;
  }

  public void setCompression(Compression compression) {
    this.compression = compression;
  }

  public Boolean getBackupFromReplica() {
    return backupFromReplica;
  }

  public void setBackupFromReplica(Boolean backupFromReplica) {
    this.backupFromReplica = backupFromReplica;
  }

  public EncryptionSpec getEncryption() {
    return encryption;
  }

  public void setEncryption(EncryptionSpec encryption) {
    this.encryption = encryption;
  }

  public Integer getProcessMax() {
    return processMax;
  }

  public void setProcessMax(Integer processMax) {
    this.processMax = processMax;
  }
}
