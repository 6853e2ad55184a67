package io.pgtrickle.operator.api.streams;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.ValidationRule;

/** How the pipeline's metrics are collected. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
    value = "!has(self.otlp)",
    message =
        "spec.monitoring.otlp is not supported yet: the CDC consumer and the workers serve"
            + " Prometheus metrics on /metrics (port metrics, 8080) but cannot export OTLP; use"
            + " spec.monitoring.prometheus or spec.monitoring.serviceMonitor",
    reason = "FieldValueInvalid",
    fieldPath = ".otlp")
public class MonitoringSpec {

  @Default("false")
  @JsonPropertyDescription(
      "Add prometheus.io/scrape, /port and /path annotations to the CDC and worker pods (their"
          + " /metrics on the port named metrics). Default false.")
  private Boolean prometheus = false;

  @Default("false")
  @JsonPropertyDescription(
      "Create ServiceMonitor objects (Prometheus Operator) NAME-cdc and NAME-worker for the"
          + " metrics Services. Needs the monitoring.coreos.com CRDs; without them the condition"
          + " MonitoringReady says so. Default false.")
  private Boolean serviceMonitor = false;

  @JsonPropertyDescription("OTLP export of traces and metrics: not supported yet (refused).")
  private OtlpSpec otlp;

  public Boolean getPrometheus() {
    return prometheus;
  }

  public void setPrometheus(Boolean prometheus) {
    this.prometheus = prometheus;
  }

  public Boolean getServiceMonitor() {
    return serviceMonitor;
  }

  public void setServiceMonitor(Boolean serviceMonitor) {
    this.serviceMonitor = serviceMonitor;
  }

  public OtlpSpec getOtlp() {
    return otlp;
  }

  public void setOtlp(OtlpSpec otlp) {
    this.otlp = otlp;
  }

  /** An OTLP collector endpoint. */
  public static class OtlpSpec {

    @JsonPropertyDescription("The collector, host:port, e.g. otel-collector.monitoring.svc:4317.")
    @io.fabric8.generator.annotation.Size(max = 512)
    private String endpoint;

    public String getEndpoint() {
      return endpoint;
    }

    public void setEndpoint(String endpoint) {
      this.endpoint = endpoint;
    }
  }
}
