package io.pgtrickle.adapter.auth;

import io.pgtrickle.adapter.custommetrics.ApiPaths;
import io.pgtrickle.adapter.custommetrics.ApiRequest;

/**
 * What a request asks to do, as kube-apiserver's RequestInfo would describe the same path (pure):
 * discovery paths are non-resource requests ({@code get} on the path); a metric is a resource
 * request {@code get} on group {@code custom.metrics.k8s.io}, resource = the objects' {@code
 * resource.group}, name = the object's name (or {@code *}), subresource = the metric, in the
 * objects' namespace. The HPA controller's bootstrap role allows exactly these.
 *
 * @param path the non-resource path, or null for a resource request
 * @param verb always {@code get}
 * @param namespace the namespace, or null
 * @param version the API version
 * @param resource the resource
 * @param subresource the metric
 * @param name the object's name
 */
public record AccessAttributes(
    String path,
    String verb,
    String namespace,
    String version,
    String resource,
    String subresource,
    String name) {

  /**
   * The attributes of a request.
   *
   * @param request the parsed request
   * @return its attributes
   */
  public static AccessAttributes of(ApiRequest request) {
    if (request instanceof ApiRequest.Discovery d) {
      return new AccessAttributes(d.path(), "get", null, null, null, null, null);
    }
    ApiRequest.MetricQuery q = (ApiRequest.MetricQuery) request;
    return new AccessAttributes(
        null, "get", q.namespace(), q.version(), q.resource(), q.metric(), q.name());
  }

  /** Whether this is a non-resource (discovery) request. */
  public boolean nonResource() {
    return path != null;
  }

  /** The API group of resource requests. */
  public String group() {
    return ApiPaths.GROUP;
  }

  /** For log lines and error messages, as kube-apiserver words a denial. */
  public String describe() {
    if (nonResource()) {
      return "get path \"" + path + "\"";
    }
    return "get resource \""
        + resource
        + "/"
        + subresource
        + "\" in API group \""
        + ApiPaths.GROUP
        + "\""
        + (namespace == null ? "" : " in the namespace \"" + namespace + "\"");
  }
}
