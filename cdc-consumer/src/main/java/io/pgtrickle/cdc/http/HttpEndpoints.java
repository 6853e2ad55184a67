package io.pgtrickle.cdc.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.pgtrickle.cdc.pipeline.ConsumerState;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/** {@code /healthz}, {@code /readyz} and {@code /metrics} on the JDK's HTTP server. */
public final class HttpEndpoints implements AutoCloseable {

  private final HttpServer server;

  /**
   * Starts serving.
   *
   * @param address the address to listen on, "" for every interface
   * @param port the port (0: any free one, see {@link #port()})
   * @param state the consumer's state
   * @param maxLagBytes the liveness threshold
   * @param registry the metrics to render
   * @throws IOException if the port cannot be bound
   */
  public HttpEndpoints(
      String address,
      int port,
      ConsumerState state,
      long maxLagBytes,
      PrometheusMeterRegistry registry)
      throws IOException {
    server =
        HttpServer.create(
            address.isEmpty() ? new InetSocketAddress(port) : new InetSocketAddress(address, port),
            16);
    server.createContext("/healthz", probe(() -> Health.liveness(state, maxLagBytes)));
    server.createContext("/readyz", probe(() -> Health.readiness(state)));
    server.createContext(
        "/metrics",
        ex -> respond(ex, 200, "text/plain; version=0.0.4; charset=utf-8", registry.scrape()));
    server.setExecutor(
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "cdc-http");
              t.setDaemon(true);
              return t;
            }));
    server.start();
  }

  private static com.sun.net.httpserver.HttpHandler probe(Supplier<Health.Verdict> verdict) {
    return ex -> {
      Health.Verdict v = verdict.get();
      respond(ex, v.ok() ? 200 : 503, "text/plain; charset=utf-8", v.message() + "\n");
    };
  }

  private static void respond(HttpExchange ex, int status, String type, String body)
      throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", type);
    ex.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(bytes);
    }
  }

  /**
   * The bound port.
   *
   * @return the port
   */
  public int port() {
    return server.getAddress().getPort();
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
