package io.pgtrickle.operator.runtime;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * {@code /healthz}, {@code /readyz} and {@code /metrics} on one port. Small on purpose: the JDK's
 * HTTP server, two worker threads, no framework.
 */
public final class HealthServer implements AutoCloseable {

  /** What the probes report: a status code and a one-line reason. */
  public record Probe(int status, String body) {
    public static Probe ok(String body) {
      return new Probe(200, body);
    }

    public static Probe failing(String body) {
      return new Probe(503, body);
    }
  }

  private final HttpServer server;

  public HealthServer(
      int port,
      Supplier<Probe> liveness,
      Supplier<Probe> readiness,
      PrometheusMeterRegistry registry)
      throws IOException {
    server = HttpServer.create(new InetSocketAddress(port), 0);
    server.setExecutor(
        Executors.newFixedThreadPool(
            2,
            r -> {
              Thread t = new Thread(r, "health-http");
              t.setDaemon(true);
              return t;
            }));
    server.createContext("/healthz", exchange -> respond(exchange, liveness.get(), "text/plain"));
    server.createContext("/readyz", exchange -> respond(exchange, readiness.get(), "text/plain"));
    server.createContext(
        "/metrics",
        exchange ->
            respond(
                exchange, Probe.ok(registry.scrape()), "text/plain; version=0.0.4; charset=utf-8"));
    server.start();
  }

  public int port() {
    return server.getAddress().getPort();
  }

  private static void respond(HttpExchange exchange, Probe probe, String contentType)
      throws IOException {
    byte[] body = probe.body().getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", contentType);
    exchange.sendResponseHeaders(probe.status(), body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
