package io.pgtrickle.adapter.custommetrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ApiPathsTest {

  private static final String V2 = "/apis/custom.metrics.k8s.io/v1beta2";

  @Test
  void discoveryPaths() {
    assertThat(ApiPaths.parse("/apis", null)).isEqualTo(new ApiRequest.Discovery("/apis", null));
    assertThat(ApiPaths.parse("/apis/custom.metrics.k8s.io", null))
        .isEqualTo(new ApiRequest.Discovery("/apis/custom.metrics.k8s.io", null));
    assertThat(ApiPaths.parse(V2, null)).isEqualTo(new ApiRequest.Discovery(V2, "v1beta2"));
    assertThat(ApiPaths.parse("/apis/custom.metrics.k8s.io/v1beta1/", null))
        .isEqualTo(new ApiRequest.Discovery("/apis/custom.metrics.k8s.io/v1beta1", "v1beta1"));
  }

  @Test
  void objectMetricOfAStreamTableCluster() {
    assertThat(
            ApiPaths.parse(
                V2
                    + "/namespaces/prod/streamtableclusters.trickle-labs.io/orders/pg_trickle_cdc_lag_p95_ms",
                null))
        .isEqualTo(
            new ApiRequest.MetricQuery(
                "v1beta2",
                "prod",
                "streamtableclusters.trickle-labs.io",
                "orders",
                "pg_trickle_cdc_lag_p95_ms",
                null,
                null));
  }

  @ParameterizedTest
  @ValueSource(strings = {"*", "%2A", "%2a"})
  void podsMetricWithALabelSelector(String star) {
    ApiRequest.MetricQuery q =
        (ApiRequest.MetricQuery)
            ApiPaths.parse(
                V2 + "/namespaces/prod/pods/" + star + "/pg_trickle_worker_cpu_percent",
                "labelSelector=app%3Dx%2Ctier+in+%28a%2Cb%29&metricLabelSelector=stream_table%3Dpublic.s");
    assertThat(q.wildcard()).isTrue();
    assertThat(q.resource()).isEqualTo("pods");
    assertThat(q.labelSelector()).isEqualTo("app=x,tier in (a,b)");
    assertThat(q.metricLabelSelector()).isEqualTo("stream_table=public.s");
  }

  @Test
  void namespaceAndClusterScopedForms() {
    assertThat(ApiPaths.parse(V2 + "/namespaces/prod/metrics/m", null))
        .isEqualTo(
            new ApiRequest.MetricQuery("v1beta2", "prod", "metrics", "prod", "m", null, null));
    assertThat(ApiPaths.parse(V2 + "/nodes/n1/m", null))
        .isEqualTo(new ApiRequest.MetricQuery("v1beta2", null, "nodes", "n1", "m", null, null));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "/api/v1/pods",
        "/apis/metrics.k8s.io/v1beta1",
        "/apis/custom.metrics.k8s.io/v2",
        V2 + "/namespaces/prod/pods/*",
        V2 + "/namespaces/prod/pods/*/m/extra",
        "/"
      })
  void pathsTheApiDoesNotHaveAre404(String path) {
    assertThatThrownBy(() -> ApiPaths.parse(path, null))
        .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.code()).isEqualTo(404));
  }

  @Test
  void aLabelSelectorNeedsTheWildcardName() {
    assertThatThrownBy(() -> ApiPaths.parse(V2 + "/namespaces/p/pods/x/m", "labelSelector=a%3Db"))
        .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.code()).isEqualTo(400))
        .hasMessageContaining("labelSelector");
  }
}
