package io.pgtrickle.adapter.custommetrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ShapesTest {

  private static final MetricValue LAG =
      new MetricValue(
          new MetricValue.DescribedObject(
              "trickle-labs.io/v1alpha1", "StreamTableCluster", "prod", "orders"),
          "pg_trickle_cdc_lag_p95_ms",
          1250.0,
          Instant.parse("2026-05-01T10:00:00.734Z"),
          60L);

  @Test
  void v1beta2MetricValueList() {
    assertThat(Shapes.metricValueList("v1beta2", List.of(LAG), LabelSelector.EVERYTHING).toString())
        .isEqualTo(
            "{\"kind\":\"MetricValueList\",\"apiVersion\":\"custom.metrics.k8s.io/v1beta2\","
                + "\"metadata\":{},\"items\":[{\"describedObject\":{\"kind\":\"StreamTableCluster\","
                + "\"namespace\":\"prod\",\"name\":\"orders\",\"apiVersion\":\"trickle-labs.io/v1alpha1\"},"
                + "\"metric\":{\"name\":\"pg_trickle_cdc_lag_p95_ms\"},"
                + "\"timestamp\":\"2026-05-01T10:00:00Z\",\"windowSeconds\":60,\"value\":\"1250\"}]}");
  }

  @Test
  void v1beta1MetricValueListWithASelector() {
    String json =
        Shapes.metricValueList(
                "v1beta1",
                List.of(LAG),
                LabelSelector.parse("stream_table=public.s,x notin (a)", "metricLabelSelector"))
            .toString();
    assertThat(json)
        .isEqualTo(
            "{\"kind\":\"MetricValueList\",\"apiVersion\":\"custom.metrics.k8s.io/v1beta1\","
                + "\"metadata\":{},\"items\":[{\"describedObject\":{\"kind\":\"StreamTableCluster\","
                + "\"namespace\":\"prod\",\"name\":\"orders\",\"apiVersion\":\"trickle-labs.io/v1alpha1\"},"
                + "\"metricName\":\"pg_trickle_cdc_lag_p95_ms\",\"timestamp\":\"2026-05-01T10:00:00Z\","
                + "\"window\":60,\"value\":\"1250\",\"selector\":{\"matchLabels\":{\"stream_table\":\"public.s\"},"
                + "\"matchExpressions\":[{\"key\":\"x\",\"operator\":\"NotIn\",\"values\":[\"a\"]}]}}]}");
  }

  @ParameterizedTest
  @CsvSource({
    "0, 0",
    "12, 12",
    "12.5, 12500m",
    "0.0004, 0",
    "0.0005, 1m",
    "1234567.891, 1234567891m",
    "-3, -3",
    "70.25, 70250m"
  })
  void quantities(double value, String expected) {
    assertThat(Shapes.quantity(value)).isEqualTo(expected);
  }

  @Test
  void status() {
    assertThat(Shapes.status(ApiException.metricNotFound("m", "pods")).toString())
        .isEqualTo(
            "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","
                + "\"message\":\"the server could not find the metric m for pods\","
                + "\"reason\":\"NotFound\",\"code\":404}");
  }

  @Test
  void discoveryNamesResourcesAsResourceSlashMetric() {
    String json = Discovery.apiResourceList("v1beta2", List.of("pods/m")).toString();
    assertThat(json)
        .isEqualTo(
            "{\"kind\":\"APIResourceList\",\"apiVersion\":\"v1\",\"groupVersion\":\"custom.metrics.k8s.io/v1beta2\","
                + "\"resources\":[{\"name\":\"pods/m\",\"singularName\":\"\",\"namespaced\":true,"
                + "\"kind\":\"MetricValueList\",\"verbs\":[\"get\"]}]}");
    assertThat(Discovery.apiGroupList().toString())
        .contains("\"preferredVersion\":{\"groupVersion\":\"custom.metrics.k8s.io/v1beta2\"");
  }
}
