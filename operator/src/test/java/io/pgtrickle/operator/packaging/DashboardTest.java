package io.pgtrickle.operator.packaging;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The dashboard and the alerts are well formed and name only metrics of the exporter, Patroni, the
 * operator (and, for the disk alert, the kubelet). That those metrics are really served is checked
 * against running programs: {@code PoolerMetricsIT} (exporter, Patroni) and {@code
 * OperatorRuntimeIT} (operator).
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
  void theAlertsTheIssueAsksForAreRendered() {
    List<String> exprs = DashboardQueries.ruleExpressions();
    assertThat(exprs).hasSize(5);
    assertThat(String.join("\n", exprs))
        .contains("patroni_primary")
        .contains("pg_replication_lag_bytes")
        .contains("changes(patroni_postgres_timeline")
        .contains("kubelet_volume_stats_available_bytes")
        .contains("pg_up == 0");
    for (String expr : exprs) {
      assertThat(DashboardQueries.metrics(List.of(expr), "")).as(expr).isNotEmpty();
    }
  }
}
