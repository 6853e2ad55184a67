package io.pgtrickle.operator.api.streams;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;

/** How the pipeline's metrics (and traces) are collected. */
@JsonInclude(JsonInclude.Include.NON_NULL)
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

  @JsonPropertyDescription(
      "Export the CDC consumers' and the workers' traces (a span per refresh and per published CDC"
          + " batch) and metrics (the same as on /metrics) over OTLP to a collector. The pods get"
          + " the standard OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_PROTOCOL,"
          + " OTEL_SERVICE_NAME (NAME-cdc, NAME-worker) and OTEL_RESOURCE_ATTRIBUTES. Unset: nothing"
          + " is exported.")
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

  /** An OTLP collector: where, how, and optional headers from a Secret. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  @ValidationRule(
      value = "self.endpoint.matches('" + OtlpSpec.ENDPOINT_PATTERN + "')",
      message =
          "spec.monitoring.otlp.endpoint must be host:port, host, http://host:port or"
              + " https://host:port without a path, e.g. otel-collector.monitoring.svc:4317",
      reason = "FieldValueInvalid",
      fieldPath = ".endpoint")
  @ValidationRule(
      value = "!has(self.protocol) || self.protocol in ['grpc', 'http/protobuf']",
      message =
          "spec.monitoring.otlp.protocol must be grpc (port 4317) or http/protobuf (port 4318)",
      reason = "FieldValueInvalid",
      fieldPath = ".protocol")
  public static class OtlpSpec {

    /** host, host:port or http(s)://host[:port], an optional trailing slash. */
    public static final String ENDPOINT_PATTERN =
        "^(https?://)?[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,5})?/?$";

    public static final String GRPC = "grpc";
    public static final String HTTP_PROTOBUF = "http/protobuf";

    @Required
    @JsonPropertyDescription(
        "The collector: host:port (plain http), http://host:port or https://host:port, e.g."
            + " otel-collector.monitoring.svc:4317. Without a port: 4317 for grpc, 4318 for"
            + " http/protobuf.")
    @io.fabric8.generator.annotation.Size(max = 512)
    private String endpoint;

    @Default("grpc")
    @JsonPropertyDescription(
        "OTLP transport: grpc (default, the collector's port 4317) or http/protobuf (port 4318;"
            + " the programs post to /v1/traces and /v1/metrics).")
    private String protocol = GRPC;

    @JsonPropertyDescription(
        "A Secret in the same namespace whose key `headers` holds headers sent with every export,"
            + " in OTEL_EXPORTER_OTLP_HEADERS form (key=value,key2=value2, values percent-encoded),"
            + " e.g. authorization=Bearer%20TOKEN. The value reaches the pods only as a Secret"
            + " reference. Missing, the pods export without it and MonitoringReady says so;"
            + " created or changed, the pods restart once to read it.")
    private NameReference headersSecretRef;

    public String getEndpoint() {
      return endpoint;
    }

    public void setEndpoint(String endpoint) {
      this.endpoint = endpoint;
    }

    public String getProtocol() {
      return protocol;
    }

    public void setProtocol(String protocol) {
      this.protocol = protocol;
    }

    public NameReference getHeadersSecretRef() {
      return headersSecretRef;
    }

    public void setHeadersSecretRef(NameReference headersSecretRef) {
      this.headersSecretRef = headersSecretRef;
    }
  }
}
