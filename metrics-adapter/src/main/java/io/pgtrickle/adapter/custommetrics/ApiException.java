package io.pgtrickle.adapter.custommetrics;

/**
 * A request the API answers with a Kubernetes {@code Status} instead of a result: the HTTP code,
 * the Status {@code reason} ({@code NotFound}, {@code Forbidden}, {@code ServiceUnavailable}, ...)
 * and a message for the HPA's events and {@code kubectl}.
 */
public final class ApiException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final int code;
  private final String reason;

  /**
   * @param code HTTP status code
   * @param reason the Status reason, one of Kubernetes' {@code metav1.StatusReason} values
   * @param message what went wrong
   */
  public ApiException(int code, String reason, String message) {
    super(message);
    this.code = code;
    this.reason = reason;
  }

  /** 404 NotFound. */
  public static ApiException notFound(String message) {
    return new ApiException(404, "NotFound", message);
  }

  /** 400 BadRequest. */
  public static ApiException badRequest(String message) {
    return new ApiException(400, "BadRequest", message);
  }

  /** 503 ServiceUnavailable: a source of the metric cannot be read right now. */
  public static ApiException unavailable(String message) {
    return new ApiException(503, "ServiceUnavailable", message);
  }

  /** The "unknown metric" error, worded as custom-metrics-apiserver words it. */
  public static ApiException metricNotFound(String metric, String resource) {
    return notFound("the server could not find the metric " + metric + " for " + resource);
  }

  public int code() {
    return code;
  }

  public String reason() {
    return reason;
  }
}
