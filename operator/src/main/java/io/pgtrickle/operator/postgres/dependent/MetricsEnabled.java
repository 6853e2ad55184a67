package io.pgtrickle.operator.postgres.dependent;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.dependent.DependentResource;
import io.javaoperatorsdk.operator.processing.dependent.workflow.Condition;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.postgres.spec.ExporterQueries;

/** The exporter's objects exist while {@code spec.metrics.enabled}. */
public class MetricsEnabled implements Condition<HasMetadata, PostgresCluster> {
  @Override
  public boolean isMet(
      DependentResource<HasMetadata, PostgresCluster> dependent,
      PostgresCluster cluster,
      Context<PostgresCluster> context) {
    return ExporterQueries.enabled(cluster);
  }
}
