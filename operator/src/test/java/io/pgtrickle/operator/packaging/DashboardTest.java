package io.pgtrickle.operator.packaging;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The dashboards and the alerts are well formed and name only metrics of the exporter, Patroni, the
 * operator, the CDC consumer and the workers (and, for the disk alert, the kubelet). That those
 * metrics are really served is checked against running programs: {@code PoolerMetricsIT} (exporter,
 * Patroni), {@code OperatorRuntimeIT} (operator) and {@code StreamTableClusterPipelineIT} (CDC
 * consumer, workers).
 */
class DashboardTest {

  @Test
  void everyPanelQueriesAMetricWeKnow() {
    List<String> exprs = DashboardQueries.dashboardExpressions();
    assertThat(exprs).hasSizeGreaterThan(10);
    for (String expr : exprs) {
      assertThat(DashboardQueries.metrics(List.of(expr), ""))
          .as("metrics of %s", expr)
          .isNotEmpty()
          .noneMatch(name -> name.startsWith("kubelet_"));
    }
    assertThat(DashboardQueries.metrics(exprs, "postgres_operator_")).isNotEmpty();
    assertThat(DashboardQueries.metrics(exprs, "patroni_")).isNotEmpty();
  }

  @Test
  void everyStreamTablePanelQueriesTheProgramsMetrics() {
    List<String> exprs = DashboardQueries.streamTableDashboardExpressions();
    assertThat(exprs).hasSizeGreaterThan(10);
    for (String expr : exprs) {
      assertThat(DashboardQueries.metrics(List.of(expr), ""))
          .as("metrics of %s", expr)
          .isNotEmpty()
          .allMatch(name -> name.startsWith("pg_trickle_"));
    }
    assertThat(DashboardQueries.metrics(exprs, "pg_trickle_cdc_")).hasSizeGreaterThan(3);
    assertThat(DashboardQueries.metrics(exprs, "pg_trickle_refresh")).isNotEmpty();
  }

  @Test
  void theAlertsTheIssueAsksForAreRendered() {
    List<String> exprs = DashboardQueries.ruleExpressions();
    assertThat(exprs).hasSize(11);
    assertThat(String.join("\n", exprs))
        .contains("patroni_primary")
        .contains("pg_replication_lag_bytes")
        .contains("changes(patroni_postgres_timeline")
        .contains("kubelet_volume_stats_available_bytes")
        .contains("pg_up == 0")
        .contains("pg_trickle_cdc_slot_lag_bytes) > 536870912")
        .contains("pg_trickle_refreshes_total{outcome=\"failed\"}")
        .contains("pg_trickle_stream_table_lag_ms) > 600000")
        .contains("pg_trickle_stream_tables{status=\"ERROR\"}) > 0")
        .contains("pg_trickle_cdc_unprotected_publishes_total");
    for (String expr : exprs) {
      assertThat(DashboardQueries.metrics(List.of(expr), "")).as(expr).isNotEmpty();
    }
    assertThat(DashboardQueries.metrics(DashboardQueries.ruleTemplateExpressions(), ""))
        .as("the template's metrics, read without Helm")
        .isEqualTo(DashboardQueries.metrics(exprs, ""));
  }
}
