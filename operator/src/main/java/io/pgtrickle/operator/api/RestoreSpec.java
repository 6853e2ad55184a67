package io.pgtrickle.operator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/**
 * Creates a new cluster from a backup: its first member is restored by Patroni's custom bootstrap
 * (pgBackRest restore and WAL replay to the target, see {@code backup.spec.RestoreBootstrap}); the
 * others are cloned from it. The source is only read: the new cluster archives into its own
 * repository path.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class RestoreSpec {

  @Required
  @JsonPropertyDescription(
      "Name of a PostgresBackup (same namespace) whose cluster's repository is restored, or of a"
          + " PostgresCluster with spec.backup.")
  @ValidationRule(
      value = "size(self) > 0",
      message = "spec.restore.backupName must name a PostgresBackup or a PostgresCluster",
      reason = "FieldValueRequired")
  private String backupName;

  @JsonPropertyDescription(
      "Point in time to recover to (RFC 3339, e.g. 2024-01-15T01:30:00Z): the state of the"
          + " last transaction committed before it. Absent: everything archived. It must lie"
          + " after the end of a backup and within the archived WAL, or the restore fails"
          + " (phase Failed with the reason); it never promotes other data. A date of the"
          + " calendar, hours 00-23, an offset within 18 hours, at most 9 digits of fraction.")
  // The pattern bounds every field; timestamp() refuses what no calendar has (February 30).
  // A conversion error is a failed rule in the API server, reported with this message.
  @ValidationRule(
      value =
          "self.matches('^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[Tt ]"
              + "([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\\\.[0-9]{1,9})?"
              + "([Zz]|[+-]((0[0-9]|1[0-7]):[0-5][0-9]|18:00))$')"
              + " && timestamp(self.upperAscii().replace(' ', 'T'))"
              + " >= timestamp('0001-01-01T00:00:00Z')",
      message =
          "spec.restore.targetTime must be an RFC 3339 time with a zone, e.g."
              + " 2024-01-15T01:30:00Z: a date of the calendar, hours 00-23, an offset within"
              + " 18 hours, at most 9 digits of fraction",
      reason = "FieldValueInvalid")
  @Size(max = 40)
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
