package io.pgtrickle.adapter.http;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.pgtrickle.program.http.ProbeServer;
import java.io.IOException;
import java.util.function.Supplier;

/**
 * Plain-HTTP {@code /healthz}, {@code /readyz} and {@code /metrics} (Prometheus text), as the other
 * programs serve them, for the kubelet and Prometheus (neither has a client certificate): the
 * shared {@link ProbeServer} on every interface (thread {@code adapter-http}), with the same {@code
 * Cache-Control} as the HTTPS answers.
 */
public final class HttpEndpoints {

  private HttpEndpoints() {}

  /**
   * Starts serving.
   *
   * @param port the port (0: any free one)
   * @param readiness the readiness verdict
   * @param registry the metrics
   * @return the running server; close it to stop
   * @throws IOException if the port cannot be bound
   */
  public static ProbeServer start(
      int port, Supplier<Health.Verdict> readiness, PrometheusMeterRegistry registry)
      throws IOException {
    return new ProbeServer(
        "",
        port,
        "adapter-http",
        Health::liveness,
        readiness,
        registry::scrape,
        ApiServer.NO_CACHE);
  }
}
