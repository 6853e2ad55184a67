package io.pgtrickle.operator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;

/** Bootstraps a new cluster from a backup. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class RestoreSpec {

  @Required
  @JsonPropertyDescription(
      "Name of the PostgresBackup (or PostgresCluster with backup) whose repository is restored.")
  private String backupName;

  @JsonPropertyDescription(
      "Point in time to recover to (RFC 3339, e.g. 2024-01-15T01:30:00Z); the latest state when empty.")
  private String targetTime;

  public String getBackupName() {
    return backupName;
  }

  public void setBackupName(String backupName) {
    this.backupName = backupName;
  }

  public String getTargetTime() {
    return targetTime;
  }

  public void setTargetTime(String targetTime) {
    this.targetTime = targetTime;
  }
}
