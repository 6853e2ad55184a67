package io.pgtrickle.operator.api.streams;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/**
 * The workers' Deployment and how it is scaled.
 *
 * <p>{@code targetCdcLagMs} and {@code targetCpuPercent} are an autoscaler's targets, so the API
 * server refuses them with {@code autoscaler: none} (accepted and ignored would be a silent no-op);
 * their defaults, 100 ms and 70 %, are applied by {@code PipelineSettings}, not stored.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
    value =
        "!has(self.autoscaler) || self.autoscaler != 'none'"
            + " || (!has(self.targetCdcLagMs) && !has(self.targetCpuPercent))",
    message =
        "spec.workers.targetCdcLagMs and spec.workers.targetCpuPercent are the autoscaler's"
            + " targets: with spec.workers.autoscaler none nothing scales the workers, so remove"
            + " them or choose hpa or keda",
    reason = "FieldValueForbidden")
public class WorkersSpec {

  /** The most workers the operator lets an autoscaler run. */
  public static final int MAX_WORKERS = 1000;

  @Default("1")
  @JsonPropertyDescription("Fewest workers, at least 1. Default 1.")
  @ValidationRule(
      value = "self >= 1",
      message = "spec.workers.min must be at least 1",
      reason = "FieldValueInvalid")
  private Integer min = 1;

  @Required
  @JsonPropertyDescription(
      "Most workers the autoscaler may run, from min to 1000. With autoscaler none, only an upper"
          + " bound for min: min workers run.")
  @ValidationRule(
      value = "self >= 1 && self <= " + MAX_WORKERS,
      message = "spec.workers.max must be between 1 and " + MAX_WORKERS,
      reason = "FieldValueInvalid")
  private Integer max;

  @JsonPropertyDescription(
      "CDC lag (p95, milliseconds) the autoscaler aims for: the HPA's Object metric"
          + " pg_trickle_cdc_lag_p95_ms on this StreamTableCluster. Greater than 0. Default 100."
          + " Refused with autoscaler none.")
  @ValidationRule(
      value = "self > 0",
      message = "spec.workers.targetCdcLagMs must be greater than 0",
      reason = "FieldValueInvalid")
  private Long targetCdcLagMs;

  @JsonPropertyDescription(
      "Average worker CPU (percent of one core) the autoscaler aims for: the HPA's Pods metric"
          + " pg_trickle_worker_cpu_percent. 1 to 1000. Default 70. Refused with autoscaler"
          + " none.")
  @ValidationRule(
      value = "self >= 1 && self <= 1000",
      message = "spec.workers.targetCpuPercent must be between 1 and 1000",
      reason = "FieldValueInvalid")
  private Integer targetCpuPercent;

  @JsonPropertyDescription(
      "Worker image. Default: the operator's (PG_TRICKLE_WORKER_IMAGE, ghcr.io/pg-trickle/worker"
          + " of the operator's version).")
  @Size(max = 512)
  private String image;

  @Default("hpa")
  @JsonPropertyDescription(
      "Who scales the workers: hpa (default) creates a HorizontalPodAutoscaler NAME-worker on CDC"
          + " lag and CPU, served by the pg-trickle metrics adapter; keda creates a KEDA"
          + " ScaledObject NAME-worker instead (KEDA 2.19 or later, metrics-api triggers reading"
          + " the consumers' and workers' /metrics); none runs min workers and creates no"
          + " autoscaler.")
  @ValidationRule(
      value = "self in ['hpa', 'keda', 'none']",
      message = "spec.workers.autoscaler must be one of hpa, keda, none",
      reason = "FieldValueInvalid")
  @Size(max = 8)
  private String autoscaler = "hpa";

  @JsonPropertyDescription(
      "CPU and memory requests and limits (cpu, memory) of each worker's container, used as given. Absent: "
          + "requests cpu 100m and memory 256Mi, limit memory 512Mi (the JVM's heap is half of"
          + " the limit). Requests may not exceed limits.")
  @ValidationRule(
      value = ContainerResources.QUANTITIES_RULE,
      message =
          "spec.workers.resources: cpu and memory must be quantities such as 500m, 2, 512Mi or 1Gi",
      reason = "FieldValueInvalid")
  @ValidationRule(
      value = ContainerResources.REQUESTS_WITHIN_LIMITS_RULE,
      message = "spec.workers.resources: a request may not exceed its limit",
      reason = "FieldValueInvalid")
  private ContainerResources resources;

  /** The autoscaler as a value; valid only for a spec the API server has accepted. */
  @JsonIgnore
  public Autoscaler autoscalerKind() {
    return Autoscaler.of(autoscaler);
  }

  public Integer getMin() {
    return min;
  }

  public void setMin(Integer min) {
    this.min = min;
  }

  public Integer getMax() {
    return max;
  }

  public void setMax(Integer max) {
    this.max = max;
  }

  public Long getTargetCdcLagMs() {
    return targetCdcLagMs;
  }

  public void setTargetCdcLagMs(Long targetCdcLagMs) {
    this.targetCdcLagMs = targetCdcLagMs;
  }

  public Integer getTargetCpuPercent() {
    return targetCpuPercent;
  }

  public void setTargetCpuPercent(Integer targetCpuPercent) {
    this.targetCpuPercent = targetCpuPercent;
  }

  public String getImage() {
    return image;
  }

  public void setImage(String image) {
    this.image = image;
  }

  public ContainerResources getResources() {
    return resources;
  }

  public void setResources(ContainerResources resources) {
    this.resources = resources;
  }

  public String getAutoscaler() {
    return autoscaler;
  }

  public void setAutoscaler(String autoscaler) {
    this.autoscaler = autoscaler;
  }

  /** Who scales the workers. */
  public enum Autoscaler {
    HPA,
    KEDA,
    NONE;

    /** From the spec's lower-case spelling; null means the default, hpa. */
    public static Autoscaler of(String value) {
      return value == null ? HPA : valueOf(value.toUpperCase(java.util.Locale.ROOT));
    }
  }
}
