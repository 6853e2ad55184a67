package io.pgtrickle.adapter.http;

import io.pgtrickle.program.http.Probe;

/**
 * The probe decisions (pure).
 *
 * <ul>
 *   <li>Liveness ({@code /healthz}, {@code /livez}): the server answers; a request handler that
 *       hangs would leave the probe unanswered and the kubelet restarts the pod.
 *   <li>Readiness ({@code /readyz}): the front-proxy configuration has been read (before that every
 *       aggregated request would be refused) and the serving certificate is in place.
 * </ul>
 */
public final class Health {

  /**
   * A probe answer.
   *
   * @param ok whether the probe passes
   * @param message one line for the response body
   */
  public record Verdict(boolean ok, String message) implements Probe {}

  private Health() {}

  /** Liveness: answering is enough. */
  public static Verdict liveness() {
    return new Verdict(true, "ok");
  }

  /**
   * Readiness.
   *
   * @param frontProxyLoaded whether the ConfigMap has been read
   * @param frontProxyError why it could not be used, or null
   * @param serving whether the HTTPS server is serving
   * @return the verdict
   */
  public static Verdict readiness(
      boolean frontProxyLoaded, String frontProxyError, boolean serving) {
    if (!serving) {
      return new Verdict(false, "HTTPS server not started");
    }
    if (!frontProxyLoaded) {
      return new Verdict(
          false,
          "kube-system/extension-apiserver-authentication not read: "
              + (frontProxyError == null ? "waiting" : frontProxyError));
    }
    return new Verdict(true, "ok");
  }
}
