package io.pgtrickle.operator.api;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;

/**
 * How long backups are kept: a backup goes when it is older than {@code days} or beyond the newest
 * {@code count}, unless a backup that stays builds on it (the full backup and the earlier
 * incremental ones under an incremental one) or it is marked keep-forever. The newest backup always
 * stays.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class RetentionSpec {

  public static final int DEFAULT_DAYS = 7;
  public static final int DEFAULT_COUNT = 5;

  @Min(1)
  @Max(36500)
  @Default("7")
  @JsonPropertyDescription(
      "Delete backups older than this many days (1 to 36500). Default 7. A backup older than this"
          + " stays while a newer incremental backup builds on it (its full backup and the"
          + " incremental ones between them).")
  private Integer days;

  @Min(1)
  @Max(1000)
  @Default("5")
  @JsonPropertyDescription(
      "Keep at most this many backups (1 to 1000), full and incremental ones alike. Default 5.")
  private Integer count;

  public Integer getDays() {
    return days;
  }

  public void setDays(Integer days) {
    this.days = days;
  }

  public Integer getCount() {
    return count;
  }

  public void setCount(Integer count) {
    this.count = count;
  }

  /** The days in effect: the field, or the default when it or the whole retention is absent. */
  @JsonIgnore
  public static int days(RetentionSpec retention) {
    return retention == null || retention.days == null ? DEFAULT_DAYS : retention.days;
  }

  /** The count in effect: the field, or the default when it or the whole retention is absent. */
  @JsonIgnore
  public static int count(RetentionSpec retention) {
    return retention == null || retention.count == null ? DEFAULT_COUNT : retention.count;
  }
}
