package io.pgtrickle.adapter.sources;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;

/**
 * Reads a pod's {@code /metrics} (plain HTTP on the pod's IP and metrics port, as Prometheus
 * scrapes it), through a {@link SampleCache}. Errors say which pod and address failed and why.
 */
public final class PodScraper {

  /**
   * Where a pod serves its metrics.
   *
   * @param namespace the pod's namespace
   * @param pod the pod's name
   * @param ip the pod's IP
   * @param port the metrics port
   */
  public record Target(String namespace, String pod, String ip, int port) {
    URI uri() {
      String host = ip.contains(":") ? "[" + ip + "]" : ip;
      return URI.create("http://" + host + ":" + port + "/metrics");
    }

    @Override
    public String toString() {
      return "pod " + namespace + "/" + pod + " (" + ip + ":" + port + ")";
    }
  }

  /** A scrape that failed; the message names the pod and the reason. */
  public static final class ScrapeException extends IOException {
    private static final long serialVersionUID = 1L;

    ScrapeException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  private final HttpClient http;
  private final Duration timeout;
  private final SampleCache<Target, List<PrometheusText.Sample>> cache;

  /**
   * @param ttl how long a scrape is reused
   * @param timeout how long one scrape may take
   */
  public PodScraper(Duration ttl, Duration timeout) {
    this.timeout = timeout;
    this.http =
        HttpClient.newBuilder()
            .connectTimeout(timeout)
            .version(HttpClient.Version.HTTP_1_1)
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();
    this.cache = new SampleCache<>(ttl, Clock.systemUTC());
  }

  /**
   * The pod's samples, at most {@code ttl} old.
   *
   * @param target the pod
   * @return its samples with the time they were read
   * @throws ScrapeException when the pod does not answer in time, answers with an error, or its
   *     body is not Prometheus text
   */
  public SampleCache.Timed<List<PrometheusText.Sample>> scrape(Target target)
      throws ScrapeException {
    try {
      return cache.get(target, this::read);
    } catch (ScrapeException e) {
      throw e;
    } catch (Exception e) {
      throw new ScrapeException(target + ": " + e.getMessage(), e);
    }
  }

  /** Forgets scrapes of pods not asked for in a while. */
  public void evictIdle() {
    cache.evictOlderThan(Duration.ofMinutes(5));
  }

  private List<PrometheusText.Sample> read(Target target) throws ScrapeException {
    HttpRequest request =
        HttpRequest.newBuilder(target.uri())
            .timeout(timeout)
            .header("Accept", "text/plain; version=0.0.4")
            .GET()
            .build();
    HttpResponse<String> response;
    try {
      response = http.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (HttpTimeoutException e) {
      throw new ScrapeException(
          target + " did not answer /metrics within " + timeout.toMillis() + " ms", e);
    } catch (IOException e) {
      throw new ScrapeException(
          target
              + " is unreachable: "
              + (e instanceof java.net.ConnectException
                  ? "connection refused"
                  : e.getMessage() == null ? e.toString() : e.getMessage()),
          e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ScrapeException(target + ": interrupted", e);
    }
    if (response.statusCode() != 200) {
      throw new ScrapeException(
          target + " answered /metrics with HTTP " + response.statusCode(), null);
    }
    try {
      return PrometheusText.parse(response.body());
    } catch (IllegalArgumentException e) {
      throw new ScrapeException(target + ": " + e.getMessage(), e);
    }
  }
}
