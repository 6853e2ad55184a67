package io.pgtrickle.operator.runtime;

import io.javaoperatorsdk.operator.api.monitoring.Metrics;
import io.javaoperatorsdk.operator.monitoring.micrometer.MicrometerMetrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;

/**
 * JOSDK's Micrometer metrics without per-resource series (their cardinality grows with the number
 * of clusters), plus the operator's own: {@code postgres_operator_reconciliations}, {@code
 * postgres_operator_reconciliation_errors} and {@code
 * postgres_operator_reconcile_duration_seconds}, labelled by controller, operation and result.
 */
public final class OperatorMetrics implements Metrics {

  private final MeterRegistry registry;
  private final Metrics josdk;

  public OperatorMetrics(MeterRegistry registry) {
    this.registry = registry;
    this.josdk = MicrometerMetrics.withoutPerResourceMetrics(registry);
  }

  @Override
  public <T> T timeControllerExecution(ControllerExecution<T> execution) throws Exception {
    long start = System.nanoTime();
    String result = "success";
    try {
      return josdk.timeControllerExecution(execution);
    } catch (Exception e) {
      result = "error";
      throw e;
    } finally {
      record(execution.controllerName(), execution.name(), result, System.nanoTime() - start);
    }
  }

  private void record(String controller, String operation, String result, long nanos) {
    Counter.builder("postgres_operator_reconciliations")
        .description("Reconciliations run, by controller, operation and result")
        .tags("controller", controller, "operation", operation, "result", result)
        .register(registry)
        .increment();
    if ("error".equals(result)) {
      Counter.builder("postgres_operator_reconciliation_errors")
          .description("Reconciliations that failed and will be retried")
          .tags("controller", controller, "operation", operation)
          .register(registry)
          .increment();
    }
    Timer.builder("postgres_operator_reconcile_duration")
        .description("Time one reconciliation took")
        .tags("controller", controller, "operation", operation, "result", result)
        .publishPercentileHistogram()
        .minimumExpectedValue(Duration.ofMillis(1))
        .maximumExpectedValue(Duration.ofSeconds(30))
        .register(registry)
        .record(Duration.ofNanos(nanos));
  }

  @Override
  public void controllerRegistered(
      io.javaoperatorsdk.operator.processing.Controller<
              ? extends io.fabric8.kubernetes.api.model.HasMetadata>
          controller) {
    josdk.controllerRegistered(controller);
    // Present at zero from the start, so an alert on its rate has a series to watch.
    for (String operation : new String[] {"reconcile", "cleanup"}) {
      Counter.builder("postgres_operator_reconciliation_errors")
          .description("Reconciliations that failed and will be retried")
          .tags("controller", controller.getConfiguration().getName(), "operation", operation)
          .register(registry);
    }
  }

  @Override
  public void receivedEvent(
      io.javaoperatorsdk.operator.processing.event.Event event,
      java.util.Map<String, Object> metadata) {
    josdk.receivedEvent(event, metadata);
  }

  @Override
  public void reconcileCustomResource(
      io.fabric8.kubernetes.api.model.HasMetadata resource,
      io.javaoperatorsdk.operator.api.reconciler.RetryInfo retryInfo,
      java.util.Map<String, Object> metadata) {
    josdk.reconcileCustomResource(resource, retryInfo, metadata);
  }

  @Override
  public void failedReconciliation(
      io.fabric8.kubernetes.api.model.HasMetadata resource,
      Exception exception,
      java.util.Map<String, Object> metadata) {
    josdk.failedReconciliation(resource, exception, metadata);
  }

  @Override
  public void reconciliationExecutionStarted(
      io.fabric8.kubernetes.api.model.HasMetadata resource,
      java.util.Map<String, Object> metadata) {
    josdk.reconciliationExecutionStarted(resource, metadata);
  }

  @Override
  public void reconciliationExecutionFinished(
      io.fabric8.kubernetes.api.model.HasMetadata resource,
      java.util.Map<String, Object> metadata) {
    josdk.reconciliationExecutionFinished(resource, metadata);
  }

  @Override
  public void cleanupDoneFor(
      io.javaoperatorsdk.operator.processing.event.ResourceID resourceID,
      java.util.Map<String, Object> metadata) {
    josdk.cleanupDoneFor(resourceID, metadata);
  }

  @Override
  public void finishedReconciliation(
      io.fabric8.kubernetes.api.model.HasMetadata resource,
      java.util.Map<String, Object> metadata) {
    josdk.finishedReconciliation(resource, metadata);
  }

  @Override
  public <M extends java.util.Map<?, ?>> M monitorSizeOf(M map, String name) {
    return josdk.monitorSizeOf(map, name);
  }
}
