package io.pgtrickle.adapter.custommetrics;

import java.time.Instant;

/**
 * One value of a metric for one object, before it is shaped for an API version.
 *
 * @param object the object the value describes
 * @param metric the metric's name
 * @param value the value (milliseconds, percent or a count, as the metric defines)
 * @param timestamp when the value was read from its source
 * @param windowSeconds the window the value was computed over (e.g. 60 for a p95 over the last
 *     minute), or null when it is a point-in-time value
 */
public record MetricValue(
    DescribedObject object, String metric, double value, Instant timestamp, Long windowSeconds) {

  /**
   * The object a value describes ({@code corev1.ObjectReference} fields the API uses).
   *
   * @param apiVersion e.g. {@code v1}, {@code apps/v1}, {@code trickle-labs.io/v1alpha1}
   * @param kind e.g. {@code Pod}
   * @param namespace its namespace, or null
   * @param name its name
   */
  public record DescribedObject(String apiVersion, String kind, String namespace, String name) {}
}
