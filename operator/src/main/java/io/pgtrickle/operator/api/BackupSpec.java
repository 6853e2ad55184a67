package io.pgtrickle.operator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** Continuous WAL archiving and scheduled base backups with pgBackRest. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class BackupSpec {

  @JsonPropertyDescription("Cron schedule of base backups, e.g. \"0 2 * * *\".")
  private String schedule;

  @JsonPropertyDescription("Retention of base backups.")
  private RetentionSpec retention;

  @JsonPropertyDescription("Where backups are stored.")
  private BackupDestination destination;

  @JsonPropertyDescription(
      "Compression of backups and archived WAL: zstd (default), lz4, gz or none.")
  private Compression compression;

  @JsonPropertyDescription("Take base backups from a replica to spare the primary. Default false.")
  private Boolean backupFromReplica;

  @JsonPropertyDescription("Encryption at rest.")
  private EncryptionSpec encryption;

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
}
