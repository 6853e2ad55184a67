package io.pgtrickle.telemetry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgtrickle.telemetry.OtlpSettings.Protocol;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OtlpSettingsTest {

  @Test
  void noEndpointMeansNoExport() {
    assertThat(OtlpSettings.fromEnvironment(Map.of(), "pg-trickle-worker")).isEmpty();
    assertThat(
            OtlpSettings.fromEnvironment(
                Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", " ", "OTEL_SERVICE_NAME", "x"), "w"))
        .isEmpty();
  }

  @Test
  void grpcByDefaultOnItsPort() {
    OtlpSettings s =
        OtlpSettings.fromEnvironment(
                Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://otel-collector.monitoring.svc"),
                "pg-trickle-worker")
            .orElseThrow();
    assertThat(s.protocol()).isEqualTo(Protocol.GRPC);
    assertThat(s.tracesEndpoint()).isEqualTo("http://otel-collector.monitoring.svc:4317");
    assertThat(s.metricsEndpoint()).isEqualTo("http://otel-collector.monitoring.svc:4317");
    assertThat(s.serviceName()).isEqualTo("pg-trickle-worker");
    assertThat(s.metricInterval()).isEqualTo(Duration.ofSeconds(10));
    assertThat(s.headers()).isEmpty();
  }

  @Test
  void httpProtobufAddsTheSignalPaths() {
    OtlpSettings s =
        OtlpSettings.fromEnvironment(
                Map.of(
                    "OTEL_EXPORTER_OTLP_ENDPOINT", "https://collector.example.com/",
                    "OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf",
                    "OTEL_SERVICE_NAME", "shop-worker",
                    "OTEL_RESOURCE_ATTRIBUTES",
                        "k8s.pod.name=shop-worker-1,pgtrickle.stream_table_cluster=shop",
                    "OTEL_EXPORTER_OTLP_HEADERS", "authorization=Bearer%20a+b/c=,x-tenant=7",
                    "OTEL_METRIC_EXPORT_INTERVAL", "500"),
                "pg-trickle-worker")
            .orElseThrow();
    assertThat(s.tracesEndpoint()).isEqualTo("https://collector.example.com:4318/v1/traces");
    assertThat(s.metricsEndpoint()).isEqualTo("https://collector.example.com:4318/v1/metrics");
    assertThat(s.serviceName()).isEqualTo("shop-worker");
    assertThat(s.resourceAttributes())
        .containsExactly(
            Map.entry("k8s.pod.name", "shop-worker-1"),
            Map.entry("pgtrickle.stream_table_cluster", "shop"));
    assertThat(s.headers())
        .containsEntry("authorization", "Bearer a+b/c=")
        .containsEntry("x-tenant", "7");
    assertThat(s.metricInterval()).isEqualTo(Duration.ofMillis(500));
    assertThat(s.describe()).contains("authorization").doesNotContain("Bearer");
  }

  @Test
  void badValuesNameTheVariable() {
    assertThatThrownBy(() -> parse("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4317"))
        .hasMessageContaining("OTEL_EXPORTER_OTLP_ENDPOINT")
        .hasMessageContaining("http://");
    assertThatThrownBy(() -> parse("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318/v1/traces"))
        .hasMessageContaining("path");
    assertThatThrownBy(() -> parse("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"))
        .hasMessage(
            "OTEL_EXPORTER_OTLP_PROTOCOL='http/json' is not supported: use grpc or"
                + " http/protobuf");
    assertThatThrownBy(() -> parse("OTEL_EXPORTER_OTLP_HEADERS", "token"))
        .hasMessageContaining("OTEL_EXPORTER_OTLP_HEADERS")
        .hasMessageNotContaining("token");
    assertThatThrownBy(() -> parse("OTEL_METRIC_EXPORT_INTERVAL", "0"))
        .hasMessageContaining("OTEL_METRIC_EXPORT_INTERVAL");
  }

  private static void parse(String name, String value) {
    java.util.Map<String, String> env = new java.util.HashMap<>();
    env.put("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317");
    env.put(name, value);
    OtlpSettings.fromEnvironment(env, "p");
  }
}
