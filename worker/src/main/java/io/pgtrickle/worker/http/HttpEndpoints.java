package io.pgtrickle.worker.http;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.pgtrickle.program.http.ProbeServer;
import io.pgtrickle.worker.runtime.WorkerState;
import java.io.IOException;
import java.time.Duration;
import java.util.Map;

/**
 * The worker's {@code /healthz} ({@link Health#liveness}), {@code /readyz} ({@link
 * Health#readiness}) and {@code /metrics}, on the shared {@link ProbeServer} (thread {@code
 * worker-http}).
 */
public final class HttpEndpoints {

  private HttpEndpoints() {}

  /**
   * Starts serving.
   *
   * @param address the address to listen on, "" for every interface
   * @param port the port (0: any free one, see {@link ProbeServer#port()})
   * @param state the worker's state
   * @param stuckAfter the liveness threshold
   * @param registry the metrics to render
   * @return the running server; close it to stop
   * @throws IOException if the port cannot be bound
   */
  public static ProbeServer start(
      String address,
      int port,
      WorkerState state,
      Duration stuckAfter,
      PrometheusMeterRegistry registry)
      throws IOException {
    return new ProbeServer(
        address,
        port,
        "worker-http",
        () -> Health.liveness(state, stuckAfter),
        () -> Health.readiness(state),
        registry::scrape,
        Map.of());
  }
}
