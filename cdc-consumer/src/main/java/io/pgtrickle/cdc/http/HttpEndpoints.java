package io.pgtrickle.cdc.http;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.pgtrickle.cdc.pipeline.ConsumerState;
import io.pgtrickle.program.http.ProbeServer;
import java.io.IOException;
import java.util.Map;

/**
 * The consumer's {@code /healthz} ({@link Health#liveness}), {@code /readyz} ({@link
 * Health#readiness}) and {@code /metrics}, on the shared {@link ProbeServer} (thread {@code
 * cdc-http}).
 */
public final class HttpEndpoints {

  private HttpEndpoints() {}

  /**
   * Starts serving.
   *
   * @param address the address to listen on, "" for every interface
   * @param port the port (0: any free one, see {@link ProbeServer#port()})
   * @param state the consumer's state
   * @param maxLagBytes the liveness threshold
   * @param registry the metrics to render
   * @return the running server; close it to stop
   * @throws IOException if the port cannot be bound
   */
  public static ProbeServer start(
      String address,
      int port,
      ConsumerState state,
      long maxLagBytes,
      PrometheusMeterRegistry registry)
      throws IOException {
    return new ProbeServer(
        address,
        port,
        "cdc-http",
        () -> Health.liveness(state, maxLagBytes),
        () -> Health.readiness(state),
        registry::scrape,
        Map.of());
  }
}
