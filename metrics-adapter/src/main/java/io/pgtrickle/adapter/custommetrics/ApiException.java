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
  private final boolean expected;

  /**
   * @param code HTTP status code
   * @param reason the Status reason, one of Kubernetes' {@code metav1.StatusReason} values
   * @param message what went wrong
   */
  public ApiException(int code, String reason, String message) {
    this(code, reason, message, false);
  }

  private ApiException(int code, String reason, String message, boolean expected) {
    super(message);
    this.code = code;
    this.reason = reason;
    this.expected = expected;
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

  /**
   * 503 ServiceUnavailable because a pod that is not ready yet (starting: its program may not
   * listen yet) cannot be read: the same answer for the HPA, but an expected one, not worth a WARN.
   */
  public static ApiException starting(String message) {
    return new ApiException(503, "ServiceUnavailable", message, true);
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

  /** Whether this error is an expected one of a pipeline starting ({@link #starting}). */
  public boolean expected() {
    return expected;
  }
}
