package io.pgtrickle.operator.postgres.dependent;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.postgres.spec.SidecarObjects;

/** The exporter's extra queries; shares the ConfigMap informer. */
public class ExporterConfigMapDependent
    extends CRUDKubernetesDependentResource<ConfigMap, PostgresCluster> {
  @Override
  protected ConfigMap desired(PostgresCluster cluster, Context<PostgresCluster> context) {
    return SidecarObjects.exporterQueries(cluster);
  }
}
