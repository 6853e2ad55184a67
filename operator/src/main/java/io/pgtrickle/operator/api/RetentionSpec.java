package io.pgtrickle.operator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Min;

/** How long backups are kept: a backup goes when it is older than days or beyond count. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class RetentionSpec {

  @Min(1)
  @Default("7")
  @JsonPropertyDescription("Delete backups older than this many days. Default 7.")
  private Integer days;

  @Min(1)
  @Default("5")
  @JsonPropertyDescription("Keep at most this many full backups. Default 5.")
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
}
