package io.pgtrickle.operator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;

/** Desired backups of a {@link PostgresBackup} (seed 002, ticket 3). */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class PostgresBackupSpec {

  /** What a schedule may look like: five cron fields, or one of the CronJob macros. */
  public static final String SCHEDULE_RULE =
      "self.matches('^\\\\s*(@(yearly|annually|monthly|weekly|daily|midnight|hourly)"
          + "|\\\\S+(\\\\s+\\\\S+){4})\\\\s*$')";

  @Required
  @JsonPropertyDescription(
      "Name of the PostgresCluster (same namespace) to back up; it needs spec.backup (the"
          + " repository). Cannot change.")
  @ValidationRule(
      value = "self == oldSelf",
      message = "spec.clusterName cannot change: create another PostgresBackup for another cluster",
      reason = "FieldValueForbidden")
  @ValidationRule(
      value = "size(self) > 0",
      message = "spec.clusterName must name a PostgresCluster",
      reason = "FieldValueRequired")
  private String clusterName;

  @JsonPropertyDescription(
      "Cron schedule in UTC (five fields, e.g. \"0 2 * * *\" for 2 AM daily, or @daily, @hourly,"
          + " ...). Absent: one backup, taken once. The first backup is full, later ones"
          + " differential (changes since the full) with a new full every retention.count backups"
          + " or when the full is older than retention.days.")
  @ValidationRule(
      value = SCHEDULE_RULE,
      message =
          "spec.schedule must be a cron expression of five fields (minute hour day-of-month month"
              + " day-of-week, e.g. \"0 2 * * *\") or one of @yearly, @monthly, @weekly, @daily,"
              + " @hourly",
      reason = "FieldValueInvalid")
  private String schedule;

  @JsonPropertyDescription(
      "How long backups of this resource are kept (defaults: 7 days, 5 backups), enforced after"
          + " each successful backup.")
  private RetentionSpec retention;

  public String getClusterName() {
    return clusterName;
  }

  public void setClusterName(String clusterName) {
    this.clusterName = clusterName;
  }

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
}
