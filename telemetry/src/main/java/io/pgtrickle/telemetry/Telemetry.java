package io.pgtrickle.telemetry;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.exporter.otlp.http.metrics.OtlpHttpMetricExporter;
import io.opentelemetry.exporter.otlp.http.metrics.OtlpHttpMetricExporterBuilder;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporterBuilder;
import io.opentelemetry.exporter.otlp.metrics.OtlpGrpcMetricExporter;
import io.opentelemetry.exporter.otlp.metrics.OtlpGrpcMetricExporterBuilder;
import io.opentelemetry.exporter.otlp.trace.OtlpGrpcSpanExporter;
import io.opentelemetry.exporter.otlp.trace.OtlpGrpcSpanExporterBuilder;
import io.opentelemetry.instrumentation.micrometer.v1_5.OpenTelemetryMeterRegistry;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.common.InternalTelemetryVersion;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.export.MetricExporter;
import io.opentelemetry.sdk.metrics.export.PeriodicMetricReader;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.bridge.SLF4JBridgeHandler;

/**
 * A program's OpenTelemetry: a {@link Tracer} for its spans and the {@link MeterRegistry} its
 * metrics are registered in. Without {@link OtlpSettings} (no endpoint) the tracer is a no-op and
 * the registry is the program's Prometheus registry alone: nothing is exported, nothing connects.
 *
 * <p>With settings, spans go through a {@link BatchSpanProcessor} (bounded queue of {@value
 * #SPAN_QUEUE} spans, batches of {@value #SPAN_BATCH}, every second) and metrics through a periodic
 * reader, both on their own threads: ending a span only enqueues it, and a full queue drops the
 * span instead of waiting, so a slow or unreachable collector never slows a refresh or a CDC batch
 * and never touches the health endpoints. The Micrometer metrics (same names as on /metrics) reach
 * OTLP through the OpenTelemetry Micrometer bridge. What is lost is counted on /metrics: {@code
 * pg_trickle_otlp_spans_dropped_total} (queue full) and {@code
 * pg_trickle_otlp_export_failures_total{signal}} (exports that failed or timed out).
 */
public final class Telemetry implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(Telemetry.class);

  /** Spans waiting for export at most; more are dropped (and counted). */
  public static final int SPAN_QUEUE = 2048;

  /** Spans per export request. */
  public static final int SPAN_BATCH = 512;

  /** How long {@link #close} waits for the last exports. */
  static final Duration SHUTDOWN_WAIT = Duration.ofSeconds(5);

  private final OpenTelemetrySdk sdk;
  private final SdkMeterProvider selfMetrics;
  private final Tracer tracer;
  private final MeterRegistry registry;
  private final MeterRegistry bridge;

  private Telemetry(
      OpenTelemetrySdk sdk,
      SdkMeterProvider selfMetrics,
      Tracer tracer,
      MeterRegistry registry,
      MeterRegistry bridge) {
    this.sdk = sdk;
    this.selfMetrics = selfMetrics;
    this.tracer = tracer;
    this.registry = registry;
    this.bridge = bridge;
  }

  /**
   * Starts the export, or not.
   *
   * @param settings the OTLP settings, empty for none
   * @param scope the instrumentation scope of the program's spans, e.g. {@code io.pgtrickle.worker}
   * @param prometheus the registry /metrics renders; it keeps working as before either way
   * @return the program's telemetry; close it on the way out (flushes for at most 5 s)
   */
  public static Telemetry start(
      Optional<OtlpSettings> settings, String scope, MeterRegistry prometheus) {
    if (settings.isEmpty()) {
      return new Telemetry(null, null, OpenTelemetry.noop().getTracer(scope), prometheus, null);
    }
    OtlpSettings s = settings.get();
    // The SDK reports failed exports through java.util.logging (throttled): into our logs.
    if (!SLF4JBridgeHandler.isInstalled()) {
      SLF4JBridgeHandler.removeHandlersForRootLogger();
      SLF4JBridgeHandler.install();
    }
    ExportFailures failures = new ExportFailures();
    Resource resource = resource(s);
    DroppedSpans dropped = new DroppedSpans();
    SdkMeterProvider selfMetrics = SdkMeterProvider.builder().registerMetricReader(dropped).build();
    BatchSpanProcessor spans =
        BatchSpanProcessor.builder(failures.counting("traces", spanExporter(s)))
            .setMaxQueueSize(SPAN_QUEUE)
            .setMaxExportBatchSize(SPAN_BATCH)
            .setScheduleDelay(Duration.ofSeconds(1))
            .setExporterTimeout(s.exportTimeout())
            .setMeterProvider(selfMetrics)
            .setInternalTelemetryVersion(InternalTelemetryVersion.LEGACY)
            .build();
    OpenTelemetrySdk sdk =
        OpenTelemetrySdk.builder()
            .setTracerProvider(
                SdkTracerProvider.builder().setResource(resource).addSpanProcessor(spans).build())
            .setMeterProvider(
                SdkMeterProvider.builder()
                    .setResource(resource)
                    .registerMetricReader(
                        PeriodicMetricReader.builder(
                                failures.counting("metrics", metricExporter(s)))
                            .setInterval(s.metricInterval())
                            .build())
                    .build())
            .build();
    MeterRegistry bridge =
        OpenTelemetryMeterRegistry.builder(sdk)
            .setBaseTimeUnit(TimeUnit.SECONDS)
            .setMicrometerHistogramGaugesEnabled(true)
            .build();
    CompositeMeterRegistry both = new CompositeMeterRegistry();
    both.add(prometheus);
    both.add(bridge);
    FunctionCounter.builder("pg_trickle_otlp_spans_dropped", dropped, DroppedSpans::count)
        .description("spans dropped because the export queue was full")
        .register(prometheus);
    failures.register(prometheus);
    LOG.info("exporting traces and metrics: {}", s.describe());
    return new Telemetry(sdk, selfMetrics, sdk.getTracer(scope), both, bridge);
  }

  /** The tracer for the program's spans (a no-op one without export). */
  public Tracer tracer() {
    return tracer;
  }

  /**
   * The registry to register the program's metrics in: the Prometheus registry, and with export
   * also the OTLP bridge.
   */
  public MeterRegistry registry() {
    return registry;
  }

  /** Whether anything is exported. */
  public boolean exporting() {
    return sdk != null;
  }

  /** Flushes what is queued (waiting at most 5 s) and stops the export threads. */
  @Override
  public void close() {
    if (sdk == null) {
      return;
    }
    bridge.close();
    sdk.shutdown().join(SHUTDOWN_WAIT.toMillis(), TimeUnit.MILLISECONDS);
    selfMetrics.shutdown().join(SHUTDOWN_WAIT.toMillis(), TimeUnit.MILLISECONDS);
  }

  static Resource resource(OtlpSettings s) {
    AttributesBuilder attributes = Attributes.builder();
    for (Map.Entry<String, String> e : s.resourceAttributes().entrySet()) {
      attributes.put(AttributeKey.stringKey(e.getKey()), e.getValue());
    }
    attributes.put(AttributeKey.stringKey("service.name"), s.serviceName());
    return Resource.getDefault().merge(Resource.create(attributes.build()));
  }

  private static SpanExporter spanExporter(OtlpSettings s) {
    if (s.protocol() == OtlpSettings.Protocol.GRPC) {
      OtlpGrpcSpanExporterBuilder b =
          OtlpGrpcSpanExporter.builder()
              .setEndpoint(s.tracesEndpoint())
              .setTimeout(s.exportTimeout());
      s.headers().forEach(b::addHeader);
      return b.build();
    }
    OtlpHttpSpanExporterBuilder b =
        OtlpHttpSpanExporter.builder()
            .setEndpoint(s.tracesEndpoint())
            .setTimeout(s.exportTimeout());
    s.headers().forEach(b::addHeader);
    return b.build();
  }

  private static MetricExporter metricExporter(OtlpSettings s) {
    if (s.protocol() == OtlpSettings.Protocol.GRPC) {
      OtlpGrpcMetricExporterBuilder b =
          OtlpGrpcMetricExporter.builder()
              .setEndpoint(s.metricsEndpoint())
              .setTimeout(s.exportTimeout());
      s.headers().forEach(b::addHeader);
      return b.build();
    }
    OtlpHttpMetricExporterBuilder b =
        OtlpHttpMetricExporter.builder()
            .setEndpoint(s.metricsEndpoint())
            .setTimeout(s.exportTimeout());
    s.headers().forEach(b::addHeader);
    return b.build();
  }
}
