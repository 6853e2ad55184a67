package io.pgtrickle.telemetry;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Where and how a program exports traces and metrics over OTLP, read from the standard
 * OpenTelemetry environment variables (the subset we support, with the SDK's meanings):
 *
 * <ul>
 *   <li>{@code OTEL_EXPORTER_OTLP_ENDPOINT}: the collector, {@code http://host:port} or {@code
 *       https://host:port}. Unset or empty: nothing is exported and nothing connects anywhere.
 *   <li>{@code OTEL_EXPORTER_OTLP_PROTOCOL}: {@code grpc} (default; the collector's port 4317) or
 *       {@code http/protobuf} (port 4318; the paths {@code /v1/traces} and {@code /v1/metrics} are
 *       appended to the endpoint).
 *   <li>{@code OTEL_EXPORTER_OTLP_HEADERS}: {@code key=value,key2=value2} (percent-encoded values),
 *       sent with every export, e.g. an authorization header; never logged.
 *   <li>{@code OTEL_SERVICE_NAME}: the resource's {@code service.name}, else the program's default.
 *   <li>{@code OTEL_RESOURCE_ATTRIBUTES}: more resource attributes, {@code key=value,...}.
 *   <li>{@code OTEL_METRIC_EXPORT_INTERVAL}: milliseconds between metric exports (default 10000).
 *   <li>{@code OTEL_EXPORTER_OTLP_TIMEOUT}: milliseconds one export may take (default 10000).
 * </ul>
 *
 * @param endpoint the collector's base URI (scheme, host, port; no path)
 * @param protocol how to reach it
 * @param headers headers sent with every export (may hold credentials: never log them)
 * @param serviceName the resource's service.name
 * @param resourceAttributes more resource attributes, in the order given
 * @param metricInterval time between metric exports
 * @param exportTimeout how long one export may take before it is given up (and counted)
 */
public record OtlpSettings(
    URI endpoint,
    Protocol protocol,
    Map<String, String> headers,
    String serviceName,
    Map<String, String> resourceAttributes,
    Duration metricInterval,
    Duration exportTimeout) {

  public static final String ENDPOINT = "OTEL_EXPORTER_OTLP_ENDPOINT";
  public static final String PROTOCOL = "OTEL_EXPORTER_OTLP_PROTOCOL";
  public static final String HEADERS = "OTEL_EXPORTER_OTLP_HEADERS";
  public static final String SERVICE_NAME = "OTEL_SERVICE_NAME";
  public static final String RESOURCE_ATTRIBUTES = "OTEL_RESOURCE_ATTRIBUTES";
  public static final String METRIC_INTERVAL = "OTEL_METRIC_EXPORT_INTERVAL";
  public static final String TIMEOUT = "OTEL_EXPORTER_OTLP_TIMEOUT";

  /** The OTLP transports. */
  public enum Protocol {
    GRPC("grpc", 4317),
    HTTP_PROTOBUF("http/protobuf", 4318);

    private final String value;
    private final int defaultPort;

    Protocol(String value, int defaultPort) {
      this.value = value;
      this.defaultPort = defaultPort;
    }

    /** The value of {@code OTEL_EXPORTER_OTLP_PROTOCOL}. */
    public String value() {
      return value;
    }

    /** The collector's conventional port for this protocol. */
    public int defaultPort() {
      return defaultPort;
    }
  }

  public OtlpSettings {
    headers = Collections.unmodifiableMap(new LinkedHashMap<>(headers));
    resourceAttributes = Collections.unmodifiableMap(new LinkedHashMap<>(resourceAttributes));
  }

  /**
   * Reads the settings.
   *
   * @param env the environment, e.g. {@code System.getenv()}
   * @param defaultServiceName service.name when {@code OTEL_SERVICE_NAME} is unset
   * @return empty when no endpoint is set (export off)
   * @throws IllegalArgumentException naming the variable and what it allows, for a bad value
   */
  public static Optional<OtlpSettings> fromEnvironment(
      Map<String, String> env, String defaultServiceName) {
    String endpoint = blankToNull(env.get(ENDPOINT));
    if (endpoint == null) {
      return Optional.empty();
    }
    Protocol protocol = protocol(env.get(PROTOCOL));
    return Optional.of(
        new OtlpSettings(
            endpoint(endpoint, protocol),
            protocol,
            pairs(HEADERS, env.get(HEADERS)),
            blankToNull(env.get(SERVICE_NAME)) == null
                ? defaultServiceName
                : env.get(SERVICE_NAME).trim(),
            pairs(RESOURCE_ATTRIBUTES, env.get(RESOURCE_ATTRIBUTES)),
            millis(METRIC_INTERVAL, env.get(METRIC_INTERVAL), 10_000),
            millis(TIMEOUT, env.get(TIMEOUT), 10_000)));
  }

  /** The traces endpoint the exporter posts to. */
  public String tracesEndpoint() {
    return protocol == Protocol.GRPC ? endpoint.toString() : endpoint + "/v1/traces";
  }

  /** The metrics endpoint the exporter posts to. */
  public String metricsEndpoint() {
    return protocol == Protocol.GRPC ? endpoint.toString() : endpoint + "/v1/metrics";
  }

  /** For logs: everything but the headers' values. */
  public String describe() {
    return "OTLP "
        + protocol.value()
        + " to "
        + endpoint
        + " as service.name="
        + serviceName
        + (headers.isEmpty() ? "" : " with headers " + headers.keySet())
        + ", resource "
        + resourceAttributes
        + ", metrics every "
        + metricInterval.toMillis()
        + " ms";
  }

  private static Protocol protocol(String value) {
    String v = blankToNull(value);
    if (v == null) {
      return Protocol.GRPC;
    }
    for (Protocol p : Protocol.values()) {
      if (p.value.equals(v.trim())) {
        return p;
      }
    }
    throw new IllegalArgumentException(
        PROTOCOL + "='" + value + "' is not supported: use grpc or http/protobuf");
  }

  private static URI endpoint(String value, Protocol protocol) {
    String v = value.trim();
    URI uri;
    try {
      uri = new URI(v);
    } catch (URISyntaxException e) {
      throw badEndpoint(value, e.getMessage());
    }
    String scheme = uri.getScheme();
    if (scheme == null || !(scheme.equals("http") || scheme.equals("https"))) {
      throw badEndpoint(value, "it needs the scheme http:// or https://");
    }
    if (uri.getHost() == null) {
      throw badEndpoint(value, "it has no host");
    }
    String path = uri.getRawPath() == null ? "" : uri.getRawPath();
    if (!path.isEmpty() && !path.equals("/")) {
      throw badEndpoint(value, "it must not have a path (the signal's path is added)");
    }
    if (uri.getRawQuery() != null || uri.getRawUserInfo() != null) {
      throw badEndpoint(value, "it must not have a query or user info (use " + HEADERS + ")");
    }
    int port = uri.getPort() == -1 ? protocol.defaultPort : uri.getPort();
    return URI.create(scheme + "://" + hostForUri(uri.getHost()) + ":" + port);
  }

  private static String hostForUri(String host) {
    return host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
  }

  private static IllegalArgumentException badEndpoint(String value, String why) {
    return new IllegalArgumentException(
        ENDPOINT
            + "='"
            + value
            + "' is not a collector URL such as http://otel-collector:4317: "
            + why);
  }

  private static Map<String, String> pairs(String name, String value) {
    Map<String, String> out = new LinkedHashMap<>();
    if (blankToNull(value) == null) {
      return out;
    }
    for (String item : value.split(",")) {
      if (item.isBlank()) {
        continue;
      }
      int eq = item.indexOf('=');
      if (eq <= 0) {
        // Never echo the value: it may be a header with a token.
        throw new IllegalArgumentException(
            name + " has an entry without key=value: use key=value,key2=value2");
      }
      String key = item.substring(0, eq).trim();
      if (key.isEmpty()) {
        throw new IllegalArgumentException(name + " has an entry with an empty key");
      }
      // Percent-decoding (W3C baggage), where '+' stays a plus as in base64 tokens.
      String raw = item.substring(eq + 1).trim().replace("+", "%2B");
      out.put(key, URLDecoder.decode(raw, StandardCharsets.UTF_8));
    }
    return out;
  }

  private static Duration millis(String name, String value, long dflt) {
    String v = blankToNull(value);
    if (v == null) {
      return Duration.ofMillis(dflt);
    }
    try {
      long ms = Long.parseLong(v.trim());
      if (ms > 0) {
        return Duration.ofMillis(ms);
      }
    } catch (NumberFormatException e) {
      // below
    }
    throw new IllegalArgumentException(
        name + "='" + value + "' is not a positive number of milliseconds");
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s;
  }
}
