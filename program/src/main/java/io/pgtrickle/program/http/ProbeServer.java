package io.pgtrickle.program.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * {@code /healthz}, {@code /readyz} and {@code /metrics} on the JDK's {@link HttpServer}, plain
 * HTTP for the kubelet and Prometheus: a probe answers 200 when it passes and 503 when not, with
 * its message and a newline as a {@code text/plain} body; {@code /metrics} answers 200 with the
 * Prometheus text. One daemon thread serves every request, so a slow scrape never keeps the JVM
 * alive and never runs beside another.
 */
public final class ProbeServer implements AutoCloseable {

  /** The content type of {@code /metrics}: Prometheus text format 0.0.4. */
  public static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

  /** The content type of the probes' answers. */
  public static final String PLAIN_TEXT = "text/plain; charset=utf-8";

  private final HttpServer server;
  private final ExecutorService executor;

  /**
   * Starts serving.
   *
   * @param address the address to listen on, "" for every interface
   * @param port the port, 0 for any free one (see {@link #port()})
   * @param threadName the name of the serving thread, e.g. {@code worker-http}
   * @param liveness decides {@code /healthz} at each request
   * @param readiness decides {@code /readyz} at each request
   * @param metrics renders {@code /metrics} at each request (e.g. {@code registry::scrape})
   * @param headers sent with every answer besides {@code Content-Type} (none: an empty map)
   * @throws IOException if the port cannot be bound
   */
  public ProbeServer(
      String address,
      int port,
      String threadName,
      Supplier<? extends Probe> liveness,
      Supplier<? extends Probe> readiness,
      Supplier<String> metrics,
      Map<String, String> headers)
      throws IOException {
    server =
        HttpServer.create(
            address.isEmpty() ? new InetSocketAddress(port) : new InetSocketAddress(address, port),
            16);
    server.createContext("/healthz", ex -> probe(ex, liveness.get(), headers));
    server.createContext("/readyz", ex -> probe(ex, readiness.get(), headers));
    server.createContext(
        "/metrics",
        ex ->
            respond(
                ex, 200, PROMETHEUS_TEXT, metrics.get().getBytes(StandardCharsets.UTF_8), headers));
    executor =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, threadName);
              t.setDaemon(true);
              return t;
            });
    server.setExecutor(executor);
    server.start();
  }

  /**
   * Answers a probe: 200 or 503, the message and a newline.
   *
   * @param ex the exchange
   * @param answer the decision
   * @param headers more headers to send
   * @throws IOException if the client went away
   */
  public static void probe(HttpExchange ex, Probe answer, Map<String, String> headers)
      throws IOException {
    respond(
        ex,
        answer.ok() ? 200 : 503,
        PLAIN_TEXT,
        (answer.message() + "\n").getBytes(StandardCharsets.UTF_8),
        headers);
  }

  /**
   * Sends a whole answer and closes the exchange.
   *
   * @param ex the exchange
   * @param status the HTTP status
   * @param type the {@code Content-Type}
   * @param body the body; empty: none ({@code Content-length: 0})
   * @param headers more headers to send
   * @throws IOException if the client went away
   */
  public static void respond(
      HttpExchange ex, int status, String type, byte[] body, Map<String, String> headers)
      throws IOException {
    ex.getResponseHeaders().set("Content-Type", type);
    headers.forEach(ex.getResponseHeaders()::set);
    ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(body);
    }
  }

  /**
   * The bound port.
   *
   * @return the port, the one chosen when 0 was asked for
   */
  public int port() {
    return server.getAddress().getPort();
  }

  /** Stops serving at once; requests in progress are cut off. */
  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
