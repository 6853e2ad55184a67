package io.pgtrickle.adapter.custommetrics;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Routes a request path of the custom metrics API (the paths custom-metrics-apiserver serves, see
 * ../shared/reference/metrics-adapter.md §1), pure:
 *
 * <pre>
 * /apis                                                          discovery
 * /apis/custom.metrics.k8s.io                                    discovery
 * /apis/custom.metrics.k8s.io/VERSION                            discovery (APIResourceList)
 * /apis/custom.metrics.k8s.io/VERSION/namespaces/NS/RESOURCE/NAME/METRIC   namespaced object(s)
 * /apis/custom.metrics.k8s.io/VERSION/namespaces/NS/metrics/METRIC         the namespace itself
 * /apis/custom.metrics.k8s.io/VERSION/RESOURCE/NAME/METRIC                 cluster-scoped object(s)
 * </pre>
 *
 * NAME may be {@code *} (also escaped as {@code %2A}) with {@code ?labelSelector=}; {@code
 * metricLabelSelector} selects among a metric's series.
 */
public final class ApiPaths {

  public static final String GROUP = "custom.metrics.k8s.io";
  public static final List<String> VERSIONS = List.of("v1beta2", "v1beta1");

  private ApiPaths() {}

  /**
   * Parses a request.
   *
   * @param rawPath the path, still percent-encoded
   * @param rawQuery the query string, still percent-encoded, or null
   * @return the request
   * @throws ApiException 404 for a path this API does not have, 400 for a bad query
   */
  public static ApiRequest parse(String rawPath, String rawQuery) {
    List<String> parts = segments(rawPath);
    if (parts.isEmpty() || !parts.get(0).equals("apis")) {
      throw ApiException.notFound("the server could not find the requested resource");
    }
    if (parts.size() == 1) {
      return new ApiRequest.Discovery("/apis", null);
    }
    if (!parts.get(1).equals(GROUP)) {
      throw ApiException.notFound("the server could not find the requested resource");
    }
    if (parts.size() == 2) {
      return new ApiRequest.Discovery("/apis/" + GROUP, null);
    }
    String version = parts.get(2);
    if (!VERSIONS.contains(version)) {
      throw ApiException.notFound(
          "the server could not find the requested resource (version " + version + ")");
    }
    if (parts.size() == 3) {
      return new ApiRequest.Discovery("/apis/" + GROUP + "/" + version, version);
    }
    Map<String, String> query = query(rawQuery);
    List<String> rest = parts.subList(3, parts.size());
    String namespace = null;
    if (rest.get(0).equals("namespaces") && rest.size() >= 4) {
      namespace = rest.get(1);
      rest = rest.subList(2, rest.size());
      if (rest.size() == 2 && rest.get(0).equals("metrics")) {
        return query(version, namespace, "metrics", namespace, rest.get(1), query);
      }
    }
    if (rest.size() != 3 || namespace != null && namespace.isEmpty()) {
      throw ApiException.notFound("the server could not find the requested resource");
    }
    return query(version, namespace, rest.get(0), rest.get(1), rest.get(2), query);
  }

  private static ApiRequest.MetricQuery query(
      String version,
      String namespace,
      String resource,
      String name,
      String metric,
      Map<String, String> query) {
    if (resource.isEmpty() || name.isEmpty() || metric.isEmpty()) {
      throw ApiException.notFound("the server could not find the requested resource");
    }
    String labelSelector = blankToNull(query.get("labelSelector"));
    if (labelSelector != null && !"*".equals(name)) {
      throw ApiException.badRequest(
          "labelSelector is only allowed with the name * (every object it selects), not with "
              + name);
    }
    return new ApiRequest.MetricQuery(
        version,
        namespace,
        resource,
        name,
        metric,
        labelSelector,
        blankToNull(query.get("metricLabelSelector")));
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s;
  }

  private static List<String> segments(String rawPath) {
    List<String> parts = new ArrayList<>();
    for (String s : rawPath.split("/")) {
      if (!s.isEmpty()) {
        parts.add(URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8));
      }
    }
    return parts;
  }

  private static Map<String, String> query(String rawQuery) {
    Map<String, String> out = new HashMap<>();
    if (rawQuery == null || rawQuery.isEmpty()) {
      return out;
    }
    for (String pair : rawQuery.split("&")) {
      int eq = pair.indexOf('=');
      String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
      String value =
          eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
      out.put(key, value);
    }
    return out;
  }
}
