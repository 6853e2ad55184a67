package io.pgtrickle.adapter.it;

import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A pod's {@code /metrics} on the pod's own IP and port 8080, rendered by a Micrometer Prometheus
 * registry with the gauge the programs register (same name, same library, so the same text). It
 * plays the program of a kwok pod for the API test; the HPA test runs the real programs.
 */
final class PodMetricsEndpoint implements AutoCloseable {

  private final HttpServer server;
  private final PrometheusMeterRegistry registry;
  final AtomicReference<Double> value;

  PodMetricsEndpoint(String ip, String gauge, double initial) throws IOException {
    value = new AtomicReference<>(initial);
    registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    Gauge.builder(gauge, value, AtomicReference::get).register(registry);
    server = HttpServer.create(new InetSocketAddress(ip, 8080), 8);
    server.createContext(
        "/metrics",
        ex -> {
          byte[] body = registry.scrape().getBytes(StandardCharsets.UTF_8);
          ex.sendResponseHeaders(200, body.length);
          try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
          }
        });
    server.start();
  }

  /**
   * Adds a series of a per-stream-table gauge, as the worker registers them (tag {@code
   * stream_table}).
   *
   * @return the value, to change
   */
  AtomicReference<Double> streamTableGauge(String gauge, String streamTable, double initial) {
    AtomicReference<Double> v = new AtomicReference<>(initial);
    Gauge.builder(gauge, v, AtomicReference::get)
        .tag("stream_table", streamTable)
        // Held strongly: the caller may drop the reference; a collected one would read NaN.
        .strongReference(true)
        .register(registry);
    return v;
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
