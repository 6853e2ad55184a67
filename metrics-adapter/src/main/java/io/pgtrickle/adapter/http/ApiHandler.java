package io.pgtrickle.adapter.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgtrickle.adapter.auth.AccessAttributes;
import io.pgtrickle.adapter.auth.Authenticator;
import io.pgtrickle.adapter.auth.Authorizer;
import io.pgtrickle.adapter.auth.FrontProxyConfig;
import io.pgtrickle.adapter.auth.UserInfo;
import io.pgtrickle.adapter.custommetrics.ApiException;
import io.pgtrickle.adapter.custommetrics.ApiPaths;
import io.pgtrickle.adapter.custommetrics.ApiRequest;
import io.pgtrickle.adapter.custommetrics.Discovery;
import io.pgtrickle.adapter.custommetrics.LabelSelector;
import io.pgtrickle.adapter.custommetrics.MetricValue;
import io.pgtrickle.adapter.custommetrics.Shapes;
import io.pgtrickle.adapter.pipeline.PipelineNames;
import java.security.cert.X509Certificate;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One request to the custom metrics API, from the TLS peer and headers to the JSON answer:
 * authenticate (401), route (404 for paths the API does not have, after authorizing the path as
 * kube-apiserver would), authorize with a SubjectAccessReview (403), answer. No I/O of its own: the
 * authorizer and the metric source are passed in, so the decisions are unit tested.
 */
public final class ApiHandler {

  private static final Logger LOG = LoggerFactory.getLogger(ApiHandler.class);

  /**
   * A request as the server received it.
   *
   * @param method the HTTP method
   * @param rawPath the path, percent-encoded
   * @param rawQuery the query, percent-encoded, or null
   * @param peerChain the client's verified certificate chain, or null
   * @param headers the headers
   */
  public record Request(
      String method,
      String rawPath,
      String rawQuery,
      X509Certificate[] peerChain,
      Map<String, List<String>> headers) {}

  /**
   * The answer.
   *
   * @param code HTTP status
   * @param body JSON document
   * @param kind what was asked (discovery, object, pods, error) for the adapter's own metrics
   */
  public record Response(int code, ObjectNode body, String kind) {}

  private final Supplier<FrontProxyConfig> frontProxy;
  private final BiFunction<UserInfo, AccessAttributes, Authorizer.Decision> authorizer;
  private final Function<ApiRequest.MetricQuery, List<MetricValue>> metrics;

  /**
   * @param frontProxy the current front-proxy configuration
   * @param authorizer decides access
   * @param metrics answers metric queries (throws {@link ApiException})
   */
  public ApiHandler(
      Supplier<FrontProxyConfig> frontProxy,
      BiFunction<UserInfo, AccessAttributes, Authorizer.Decision> authorizer,
      Function<ApiRequest.MetricQuery, List<MetricValue>> metrics) {
    this.frontProxy = frontProxy;
    this.authorizer = authorizer;
    this.metrics = metrics;
  }

  /**
   * Handles a request.
   *
   * @param r the request
   * @return the answer
   */
  public Response handle(Request r) {
    Authenticator.Result auth =
        Authenticator.authenticate(frontProxy.get(), r.peerChain(), r.headers(), new Date());
    if (auth instanceof Authenticator.Unauthenticated u) {
      LOG.debug("401 {}: {}", r.rawPath(), u.reason());
      return error(new ApiException(401, "Unauthorized", "Unauthorized"), "error");
    }
    UserInfo user = ((Authenticator.Authenticated) auth).user();
    ApiRequest request;
    try {
      if (!r.method().equals("GET")) {
        throw new ApiException(
            405,
            "MethodNotAllowed",
            "the server does not allow this method on the requested resource");
      }
      request = ApiPaths.parse(r.rawPath(), r.rawQuery());
    } catch (ApiException e) {
      // As kube-apiserver: a path that does not exist is only revealed to who may read it.
      AccessAttributes asPath =
          new AccessAttributes(r.rawPath(), "get", null, null, null, null, null);
      if (!authorizer.apply(user, asPath).allowed()) {
        return forbidden(user, asPath, "");
      }
      return error(e, "error");
    }
    AccessAttributes attributes = AccessAttributes.of(request);
    Authorizer.Decision decision = authorizer.apply(user, attributes);
    if (!decision.allowed()) {
      return forbidden(user, attributes, decision.reason());
    }
    try {
      if (request instanceof ApiRequest.Discovery d) {
        ObjectNode body =
            d.version() != null
                ? Discovery.apiResourceList(d.version(), PipelineNames.discoveryResources())
                : d.path().equals("/apis") ? Discovery.apiGroupList() : Discovery.apiGroup();
        return new Response(200, body, "discovery");
      }
      ApiRequest.MetricQuery q = (ApiRequest.MetricQuery) request;
      List<MetricValue> values = metrics.apply(q);
      if (!q.wildcard() && values.size() != 1) {
        throw new IllegalStateException(values.size() + " values for one object");
      }
      return new Response(
          200,
          Shapes.metricValueList(
              q.version(),
              values,
              LabelSelector.parse(q.metricLabelSelector(), "metricLabelSelector")),
          q.resource().equals(PipelineNames.POD_RESOURCE) ? "pods" : "object");
    } catch (ApiException e) {
      if (warns(e)) {
        LOG.warn("{} {}: {}", e.code(), r.rawPath(), e.getMessage());
      } else {
        LOG.info("{} {}: {}", e.code(), r.rawPath(), e.getMessage());
      }
      return error(e, "error");
    } catch (RuntimeException e) {
      LOG.error("500 {}", r.rawPath(), e);
      return error(new ApiException(500, "InternalError", "internal error: " + e), "error");
    }
  }

  /**
   * Whether an error answer is logged as a WARN: a server-side failure (5xx) that is not an
   * expected one of a pipeline starting; the rest (the client's mistakes, a pod starting) at INFO.
   */
  static boolean warns(ApiException e) {
    return e.code() >= 500 && !e.expected();
  }

  private static Response forbidden(UserInfo user, AccessAttributes a, String reason) {
    String message =
        "user \""
            + user.name()
            + "\" cannot "
            + a.describe()
            + (reason == null || reason.isEmpty() ? "" : ": " + reason);
    LOG.info("403 {}", message);
    return error(new ApiException(403, "Forbidden", message), "error");
  }

  private static Response error(ApiException e, String kind) {
    return new Response(e.code(), Shapes.status(e), kind);
  }
}
