package io.pgtrickle.operator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;

/** Desired backups of a {@link PostgresBackup} (seed 002, ticket 3). */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class PostgresBackupSpec {

  /**
   * What a schedule may look like, as a regular expression (RE2 and Java): one of the CronJob
   * macros, or five fields each a list of {@code *} or a value or range in the field's bounds,
   * optionally with a step (minute 0-59, hour 0-23, day of month 1-31, month 1-12 or JAN-DEC, day
   * of week 0-6 or SUN-SAT): what the CronJob controller's parser takes (no {@code 7} for Sunday,
   * no {@code ?}, {@code L}, {@code W} or {@code #}, no {@code TZ=}) and cron-utils reads the same
   * way.
   */
  public static final String SCHEDULE_RULE =
      "self.matches('^\\\\s*(@(yearly|annually|monthly|weekly|daily|midnight|hourly)|"
          + "(\\\\*|[0-5]?[0-9](-[0-5]?[0-9])?)(/[1-9][0-9]*)?(,(\\\\*|[0-5]?[0-9](-[0-5]?[0-9])?)(/[1-9][0-9]*)?)*"
          + "\\\\s+(\\\\*|(0?[0-9]|1[0-9]|2[0-3])(-(0?[0-9]|1[0-9]|2[0-3]))?)(/[1-9][0-9]*)?(,(\\\\*|(0?[0-9]|1[0-9]|2[0-3])(-(0?[0-9]|1[0-9]|2[0-3]))?)(/[1-9][0-9]*)?)*"
          + "\\\\s+(\\\\*|(0?[1-9]|[12][0-9]|3[01])(-(0?[1-9]|[12][0-9]|3[01]))?)(/[1-9][0-9]*)?(,(\\\\*|(0?[1-9]|[12][0-9]|3[01])(-(0?[1-9]|[12][0-9]|3[01]))?)(/[1-9][0-9]*)?)*"
          + "\\\\s+(\\\\*|(0?[1-9]|1[0-2]|(?i:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec))(-(0?[1-9]|1[0-2]|(?i:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)))?)(/[1-9][0-9]*)?(,(\\\\*|(0?[1-9]|1[0-2]|(?i:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec))(-(0?[1-9]|1[0-2]|(?i:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)))?)(/[1-9][0-9]*)?)*"
          + "\\\\s+(\\\\*|(0?[0-6]|(?i:sun|mon|tue|wed|thu|fri|sat))(-(0?[0-6]|(?i:sun|mon|tue|wed|thu|fri|sat)))?)(/[1-9][0-9]*)?(,(\\\\*|(0?[0-6]|(?i:sun|mon|tue|wed|thu|fri|sat))(-(0?[0-6]|(?i:sun|mon|tue|wed|thu|fri|sat)))?)(/[1-9][0-9]*)?)*"
          + ")\\\\s*$')";

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
          + " ...), run by the CronJob NAME. Absent: one backup, taken once by the Job NAME-1. The"
          + " first backup is full, later ones incremental, with a new full every retention.count"
          + " backups or when the full is older than retention.days.")
  @ValidationRule(
      value = SCHEDULE_RULE,
      message =
          "spec.schedule must be a cron expression of five fields (minute 0-59, hour 0-23,"
              + " day-of-month 1-31, month 1-12 or JAN-DEC, day-of-week 0-6 or SUN-SAT; each *, a"
              + " value, a range or a list of them, optionally with /STEP; e.g. \"0 2 * * *\") or"
              + " one of @yearly, @monthly, @weekly, @daily, @hourly, as a CronJob takes it",
      reason = "FieldValueInvalid")
  // Bounded so that the API server's cost estimate of the rule above stays within its budget.
  @io.fabric8.generator.annotation.Size(max = 100)
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
