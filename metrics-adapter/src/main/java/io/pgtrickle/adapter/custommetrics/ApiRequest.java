package io.pgtrickle.adapter.custommetrics;

/**
 * A request to the custom metrics API, as {@link ApiPaths} parsed it from the path and query.
 *
 * <ul>
 *   <li>{@link Discovery}: {@code /apis}, {@code /apis/custom.metrics.k8s.io}, {@code
 *       /apis/custom.metrics.k8s.io/VERSION}: non-resource paths for authorization;
 *   <li>{@link MetricQuery}: one metric of objects; a resource request on {@code
 *       custom.metrics.k8s.io} for authorization (resource = the described objects' {@code
 *       resource.group}, name = the object's name or {@code *}, subresource = the metric).
 * </ul>
 */
public sealed interface ApiRequest {

  /** Discovery of the group or one of its versions. */
  record Discovery(String path, String version) implements ApiRequest {}

  /**
   * One metric of one object, or of every pod a selector matches.
   *
   * @param version {@code v1beta1} or {@code v1beta2} (the shape of the answer)
   * @param namespace the objects' namespace, or null for cluster-scoped objects
   * @param resource {@code resource.group} as the HPA's RESTMapper spells it ({@code pods}, {@code
   *     deployments.apps}, {@code streamtableclusters.trickle-labs.io}); {@code metrics} for the
   *     namespace itself
   * @param name the object's name, or {@code *} for every object the label selector matches
   * @param metric the metric's name
   * @param labelSelector the objects' label selector (only with {@code *}), or null
   * @param metricLabelSelector a selector on the metric's own labels, or null
   */
  record MetricQuery(
      String version,
      String namespace,
      String resource,
      String name,
      String metric,
      String labelSelector,
      String metricLabelSelector)
      implements ApiRequest {

    /** Whether this asks for every object a label selector matches. */
    public boolean wildcard() {
      return "*".equals(name);
    }
  }
}
