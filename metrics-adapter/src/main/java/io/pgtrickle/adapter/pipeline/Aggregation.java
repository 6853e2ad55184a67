package io.pgtrickle.adapter.pipeline;

import io.pgtrickle.adapter.custommetrics.LabelSelector;
import io.pgtrickle.adapter.sources.PrometheusText;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;

/** How series and pods become one value (pure). */
public final class Aggregation {

  private Aggregation() {}

  /**
   * A pod's value of a metric: the largest of its series whose labels the selector matches (several
   * series: e.g. one freshness gauge per stream table). NaN series are skipped.
   *
   * @param samples the pod's scrape
   * @param metric the metric
   * @param selector the request's metricLabelSelector
   * @return the value, or empty if the pod has no such series
   */
  public static OptionalDouble podValue(
      List<PrometheusText.Sample> samples, String metric, LabelSelector selector) {
    return samples.stream()
        .filter(s -> s.name().equals(metric))
        .filter(s -> !Double.isNaN(s.value()))
        .filter(s -> selector.matches(s.labels()))
        .mapToDouble(PrometheusText.Sample::value)
        .max();
  }

  /**
   * Whether the pod has the metric's series but only NaN values (a program that cannot compute it
   * right now), which is worth saying in an error.
   *
   * @param samples the pod's scrape
   * @param metric the metric
   * @param selector the request's metricLabelSelector
   * @return true if every matching series is NaN and there is at least one
   */
  public static boolean onlyNaN(
      List<PrometheusText.Sample> samples, String metric, LabelSelector selector) {
    List<PrometheusText.Sample> series =
        samples.stream()
            .filter(s -> s.name().equals(metric))
            .filter(s -> selector.matches(s.labels()))
            .toList();
    return !series.isEmpty() && series.stream().allMatch(s -> Double.isNaN(s.value()));
  }

  /**
   * Per series the lowest of the pods' values, then the largest series ({@link
   * PipelineMetric.Aggregation#WORST_SERIES_FRESHEST_READ}). A series is the metric's samples with
   * the same labels on different pods (e.g. {@code stream_table="public.a"} on every worker); only
   * series the selector matches count, NaN samples are skipped (a pod that cannot measure now), a
   * series some pods lack is taken from those that have it.
   *
   * @param pods each pod's scrape
   * @param metric the metric
   * @param selector the request's metricLabelSelector
   * @return the value, or empty if no pod has a matching series with a number
   */
  public static OptionalDouble worstSeriesFreshestRead(
      List<List<PrometheusText.Sample>> pods, String metric, LabelSelector selector) {
    Map<Map<String, String>, Double> lowest = new HashMap<>();
    for (List<PrometheusText.Sample> samples : pods) {
      for (PrometheusText.Sample s : samples) {
        if (s.name().equals(metric) && !Double.isNaN(s.value()) && selector.matches(s.labels())) {
          lowest.merge(s.labels(), s.value(), Math::min);
        }
      }
    }
    return lowest.values().stream().mapToDouble(Double::doubleValue).max();
  }

  /**
   * Several pods' values as one.
   *
   * @param values one per pod (not empty)
   * @param how max or average
   * @return the value
   */
  public static double combine(List<Double> values, PipelineMetric.Aggregation how) {
    if (values.isEmpty()) {
      throw new IllegalArgumentException("no values");
    }
    return switch (how) {
      case MAX -> values.stream().mapToDouble(Double::doubleValue).max().orElseThrow();
      case AVERAGE -> values.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
      case WORST_SERIES_FRESHEST_READ ->
          throw new IllegalArgumentException(
              "per-series aggregation needs the series: use worstSeriesFreshestRead");
    };
  }
}
