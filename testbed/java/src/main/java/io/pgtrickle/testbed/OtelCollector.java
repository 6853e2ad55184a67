package io.pgtrickle.testbed;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A real OpenTelemetry Collector for OTLP tests: {@code testbed/otelcol} (the collector's OTLP
 * receiver, gRPC and HTTP, and the contrib file exporter), built by {@code testbed/testbed.sh
 * otelcol} from the Go module proxy and cached. It listens on two free loopback ports and writes
 * every request it receives as one JSON line (OTLP/JSON) to {@code otlp.jsonl} in its directory,
 * which {@link #spans()} and {@link #metrics()} read. The process dies with the test JVM
 * (parent-death signal); {@link #stop()} ends it (an unreachable collector), {@link #close} too.
 */
public final class OtelCollector implements AutoCloseable {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path dir;
  private final int grpcPort;
  private final int httpPort;
  private final Process process;

  /** One span: its name, its resource's and its own attributes (as text), status, events. */
  public record Span(
      String name,
      Map<String, String> resource,
      Map<String, String> attributes,
      String statusCode,
      List<String> events) {}

  /** One metric: its name and its resource's attributes. */
  public record Metric(String name, Map<String, String> resource) {}

  private OtelCollector(Path dir, int grpcPort, int httpPort, Process process) {
    this.dir = dir;
    this.grpcPort = grpcPort;
    this.httpPort = httpPort;
    this.process = process;
  }

  /**
   * Builds the collector if needed (cold: minutes) and starts it; waits until both ports listen.
   *
   * @param dir a directory of the test's own, for its configuration, log and output
   */
  public static OtelCollector start(Path dir) {
    try {
      Files.createDirectories(dir);
      TestBed.Result built =
          TestBed.run(
              TestBed.repositoryRoot(), Duration.ofMinutes(20), "testbed/testbed.sh", "otelcol");
      String[] lines = built.output().strip().split("\n");
      Path binary = Path.of(lines[lines.length - 1].strip());
      if (!built.ok() || !Files.isExecutable(binary)) {
        throw new IllegalStateException(
            "testbed/testbed.sh otelcol failed (exit " + built.exitCode() + "): " + built.output());
      }
      int grpc = LoopbackPorts.reserve();
      int http = LoopbackPorts.reserve();
      Path out = dir.resolve("otlp.jsonl");
      Files.deleteIfExists(out);
      Path config = dir.resolve("otelcol.yaml");
      Files.writeString(
          config,
          String.join(
              "\n",
              "receivers:",
              "  otlp:",
              "    protocols:",
              "      grpc:",
              "        endpoint: 127.0.0.1:" + grpc,
              "      http:",
              "        endpoint: 127.0.0.1:" + http,
              "exporters:",
              "  file:",
              "    path: " + out,
              "    flush_interval: 100ms",
              "service:",
              "  telemetry:",
              "    metrics:",
              "      level: none",
              "  pipelines:",
              "    traces:",
              "      receivers: [otlp]",
              "      exporters: [file]",
              "    metrics:",
              "      receivers: [otlp]",
              "      exporters: [file]",
              ""));
      ProcessBuilder builder =
          new ProcessBuilder(
                  List.of(
                      "setpriv",
                      "--pdeathsig",
                      "KILL",
                      binary.toString(),
                      "--config=file:" + config))
              .redirectErrorStream(true)
              .redirectOutput(
                  ProcessBuilder.Redirect.appendTo(dir.resolve("otelcol.log").toFile()));
      OtelCollector collector = new OtelCollector(dir, grpc, http, Spawner.start(builder));
      for (int port : new int[] {grpc, http}) {
        LoopbackEmulator.awaitListening(
            collector.process, port, dir.resolve("otelcol.log"), "otelcol", Duration.ofSeconds(60));
      }
      return collector;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** {@code http://127.0.0.1:PORT} of the gRPC receiver (OTEL_EXPORTER_OTLP_PROTOCOL=grpc). */
  public String grpcEndpoint() {
    return "http://127.0.0.1:" + grpcPort;
  }

  /** {@code http://127.0.0.1:PORT} of the HTTP receiver (http/protobuf). */
  public String httpEndpoint() {
    return "http://127.0.0.1:" + httpPort;
  }

  /** Every span received so far. */
  public List<Span> spans() {
    List<Span> spans = new ArrayList<>();
    for (JsonNode line : lines()) {
      for (JsonNode rs : line.path("resourceSpans")) {
        Map<String, String> resource = attributes(rs.path("resource").path("attributes"));
        for (JsonNode ss : rs.path("scopeSpans")) {
          for (JsonNode span : ss.path("spans")) {
            List<String> events = new ArrayList<>();
            span.path("events").forEach(e -> events.add(e.path("name").asText()));
            spans.add(
                new Span(
                    span.path("name").asText(),
                    resource,
                    attributes(span.path("attributes")),
                    span.path("status").path("code").asText(""),
                    events));
          }
        }
      }
    }
    return spans;
  }

  /** Every metric received so far (one entry per metric per export). */
  public List<Metric> metrics() {
    List<Metric> metrics = new ArrayList<>();
    for (JsonNode line : lines()) {
      for (JsonNode rm : line.path("resourceMetrics")) {
        Map<String, String> resource = attributes(rm.path("resource").path("attributes"));
        for (JsonNode sm : rm.path("scopeMetrics")) {
          for (JsonNode m : sm.path("metrics")) {
            metrics.add(new Metric(m.path("name").asText(), resource));
          }
        }
      }
    }
    return metrics;
  }

  /** The collector's directory (configuration, log, output). */
  public Path dir() {
    return dir;
  }

  /** Stops the collector: from now on the exporters find nobody listening. */
  public void stop() {
    process.destroy();
    try {
      if (!process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    stop();
  }

  private List<JsonNode> lines() {
    Path out = dir.resolve("otlp.jsonl");
    List<JsonNode> nodes = new ArrayList<>();
    if (!Files.exists(out)) {
      return nodes;
    }
    try {
      for (String line : Files.readAllLines(out)) {
        if (line.isBlank()) {
          continue;
        }
        try {
          nodes.add(JSON.readTree(line));
        } catch (IOException partial) {
          // The last line may still be being written.
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return nodes;
  }

  private static Map<String, String> attributes(JsonNode list) {
    Map<String, String> out = new LinkedHashMap<>();
    for (JsonNode kv : list) {
      JsonNode v = kv.path("value");
      String text =
          v.has("stringValue")
              ? v.get("stringValue").asText()
              : v.has("intValue")
                  ? v.get("intValue").asText()
                  : v.has("boolValue")
                      ? v.get("boolValue").asText()
                      : v.has("doubleValue") ? v.get("doubleValue").asText() : v.toString();
      out.put(kv.path("key").asText(), text);
    }
    return out;
  }
}
