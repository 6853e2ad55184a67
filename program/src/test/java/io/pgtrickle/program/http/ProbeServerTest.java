package io.pgtrickle.program.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class ProbeServerTest {

  record Answer(boolean ok, String message) implements Probe {}

  private final HttpClient client =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private HttpResponse<String> get(ProbeServer server, String path)
      throws IOException, InterruptedException {
    return client.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
            .timeout(Duration.ofSeconds(5))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void probesAnswer200Or503WithTheirMessageAtEachRequest() throws Exception {
    AtomicBoolean ready = new AtomicBoolean(false);
    try (ProbeServer server =
        new ProbeServer(
            "",
            0,
            "test-http",
            () -> new Answer(true, "ok"),
            () -> new Answer(ready.get(), ready.get() ? "working" : "catalog not installed"),
            () -> "",
            Map.of())) {
      assertThat(server.port()).as("port 0: any free one").isPositive();
      HttpResponse<String> live = get(server, "/healthz");
      assertThat(live.statusCode()).isEqualTo(200);
      assertThat(live.body()).isEqualTo("ok\n");
      assertThat(live.headers().firstValue("Content-Type")).hasValue(ProbeServer.PLAIN_TEXT);
      HttpResponse<String> notReady = get(server, "/readyz");
      assertThat(notReady.statusCode()).isEqualTo(503);
      assertThat(notReady.body()).isEqualTo("catalog not installed\n");
      ready.set(true);
      assertThat(get(server, "/readyz").statusCode()).isEqualTo(200);
      assertThat(get(server, "/readyz").body()).isEqualTo("working\n");
      assertThat(get(server, "/nothing").statusCode()).isEqualTo(404);
    }
  }

  @Test
  void metricsAreRenderedAtEachScrapeWithTheGivenHeaders() throws Exception {
    AtomicReference<String> text = new AtomicReference<>("a_total 1.0\n");
    try (ProbeServer server =
        new ProbeServer(
            "127.0.0.1",
            0,
            "test-http",
            () -> new Answer(true, "ok"),
            () -> new Answer(true, "ok"),
            text::get,
            Map.of("Cache-Control", "no-cache, private"))) {
      HttpResponse<String> first = get(server, "/metrics");
      assertThat(first.statusCode()).isEqualTo(200);
      assertThat(first.body()).isEqualTo("a_total 1.0\n");
      assertThat(first.headers().firstValue("Content-Type"))
          .hasValue("text/plain; version=0.0.4; charset=utf-8");
      assertThat(first.headers().firstValue("Cache-Control")).hasValue("no-cache, private");
      text.set("a_total 2.0\n");
      assertThat(get(server, "/metrics").body()).isEqualTo("a_total 2.0\n");
      text.set("");
      HttpResponse<String> empty = get(server, "/metrics");
      assertThat(empty.statusCode()).isEqualTo(200);
      assertThat(empty.body()).isEmpty();
      assertThat(empty.headers().firstValue("Content-Length")).hasValue("0");
    }
  }

  @Test
  void servesOnADaemonThreadOfTheGivenNameAndStopsOnClose() throws Exception {
    AtomicReference<Thread> serving = new AtomicReference<>();
    ProbeServer server =
        new ProbeServer(
            "",
            0,
            "probe-test-http",
            () -> {
              serving.set(Thread.currentThread());
              return new Answer(true, "ok");
            },
            () -> new Answer(true, "ok"),
            () -> "",
            Map.of());
    int port = server.port();
    get(server, "/healthz");
    assertThat(serving.get().getName()).isEqualTo("probe-test-http");
    assertThat(serving.get().isDaemon()).isTrue();
    server.close();
    assertThatThrownBy(
            () ->
                client.send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/healthz"))
                        .timeout(Duration.ofSeconds(5))
                        .build(),
                    HttpResponse.BodyHandlers.ofString()))
        .isInstanceOf(ConnectException.class);
  }

  @Test
  void aTakenPortIsAnIoException() throws Exception {
    try (ProbeServer first =
        new ProbeServer(
            "", 0, "test-http", () -> new Answer(true, "ok"), () -> null, () -> "", Map.of())) {
      assertThatThrownBy(
              () ->
                  new ProbeServer(
                      "",
                      first.port(),
                      "test-http",
                      () -> new Answer(true, "ok"),
                      () -> null,
                      () -> "",
                      Map.of()))
          .isInstanceOf(IOException.class);
    }
  }
}
