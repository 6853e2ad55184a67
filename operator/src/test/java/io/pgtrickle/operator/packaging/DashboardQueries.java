package io.pgtrickle.operator.packaging;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The PromQL of the chart's Grafana dashboards ({@code dashboards/postgres-clusters.json}, {@code
 * dashboards/stream-tables.json}) and of its PrometheusRule (rendered by Helm), and the metric
 * names they use, so that tests can check every name against what a running cluster and operator
 * serve.
 */
public final class DashboardQueries {

  /** Metric names: the exporter's and our queries' ({@code pg_}), Patroni's, the operator's. */
  static final Pattern METRIC =
      Pattern.compile("\\b((?:pg|patroni|postgres_operator|kubelet)_[a-z0-9_]+)\\b");

  private DashboardQueries() {}

  /** Every {@code expr} of the clusters dashboard's panels. */
  public static List<String> dashboardExpressions() {
    return expressions("dashboards/postgres-clusters.json");
  }

  /**
   * Every {@code expr} of the stream tables dashboard's panels (the CDC's and workers' metrics).
   */
  public static List<String> streamTableDashboardExpressions() {
    return expressions("dashboards/stream-tables.json");
  }

  private static List<String> expressions(String file) {
    try {
      JsonNode dashboard =
          new ObjectMapper().readTree(Files.readString(PgTrickleChart.DIRECTORY.resolve(file)));
      List<String> exprs = new ArrayList<>();
      for (JsonNode panel : dashboard.get("panels")) {
        for (JsonNode target : panel.get("targets")) {
          exprs.add(target.get("expr").asText());
        }
      }
      return exprs;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Every {@code expr} of the PrometheusRule the chart renders when asked to. */
  public static List<String> ruleExpressions() {
    String rendered =
        PgTrickleChart.template(
            "pg", "pg-system", Map.of("prometheusRule", Map.of("enabled", true)));
    List<String> exprs = new ArrayList<>();
    Matcher m = Pattern.compile("(?m)^\\s+expr: (.+)$").matcher(rendered);
    while (m.find()) {
      exprs.add(m.group(1));
    }
    return exprs;
  }

  /**
   * Every {@code expr} of the PrometheusRule's template as written, values not filled in: for tests
   * outside this module, without Helm (only the metric names are read from them).
   */
  public static List<String> ruleTemplateExpressions() {
    try {
      String template =
          Files.readString(PgTrickleChart.DIRECTORY.resolve("templates/prometheusrule.yaml"));
      List<String> exprs = new ArrayList<>();
      Matcher m = Pattern.compile("(?m)^\\s+expr: (.+)$").matcher(template);
      while (m.find()) {
        exprs.add(m.group(1));
      }
      return exprs;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The metric names in {@code exprs} that start with {@code prefix}. */
  public static Set<String> metrics(List<String> exprs, String prefix) {
    Set<String> names = new TreeSet<>();
    for (String expr : exprs) {
      Matcher m = METRIC.matcher(expr);
      while (m.find()) {
        if (m.group(1).startsWith(prefix)) {
          names.add(m.group(1));
        }
      }
    }
    return names;
  }

  /** The names of {@code wanted} that no series of {@code scraped} (Prometheus text) carries. */
  public static Set<String> missing(Set<String> wanted, String scraped) {
    Set<String> missing = new TreeSet<>();
    for (String name : wanted) {
      if (!Pattern.compile("(?m)^" + Pattern.quote(name) + "[{ ]").matcher(scraped).find()) {
        missing.add(name);
      }
    }
    return missing;
  }
}
