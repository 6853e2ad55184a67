package io.pgtrickle.adapter.http;

import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * Plain-HTTP {@code /healthz}, {@code /readyz} and {@code /metrics} (Prometheus text), as the other
 * programs serve them, for the kubelet and Prometheus (neither has a client certificate).
 */
public final class HttpEndpoints implements AutoCloseable {

  private final HttpServer server;

  /**
   * Starts serving.
   *
   * @param port the port (0: any free one)
   * @param readiness the readiness verdict
   * @param registry the metrics
   * @throws IOException if the port cannot be bound
   */
  public HttpEndpoints(
      int port, Supplier<Health.Verdict> readiness, PrometheusMeterRegistry registry)
      throws IOException {
    server = HttpServer.create(new InetSocketAddress(port), 16);
    server.createContext(
        "/healthz",
        ex ->
            ApiServer.respond(
                ex, 200, "text/plain; charset=utf-8", "ok\n".getBytes(StandardCharsets.UTF_8)));
    server.createContext(
        "/readyz",
        ex -> {
          Health.Verdict v = readiness.get();
          ApiServer.respond(
              ex,
              v.ok() ? 200 : 503,
              "text/plain; charset=utf-8",
              (v.message() + "\n").getBytes(StandardCharsets.UTF_8));
        });
    server.createContext(
        "/metrics",
        ex ->
            ApiServer.respond(
                ex,
                200,
                "text/plain; version=0.0.4; charset=utf-8",
                registry.scrape().getBytes(StandardCharsets.UTF_8)));
    server.setExecutor(
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "adapter-http");
              t.setDaemon(true);
              return t;
            }));
    server.start();
  }

  public int port() {
    return server.getAddress().getPort();
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
