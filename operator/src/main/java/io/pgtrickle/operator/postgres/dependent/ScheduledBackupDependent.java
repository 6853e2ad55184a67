package io.pgtrickle.operator.postgres.dependent;

import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.dependent.DependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import io.javaoperatorsdk.operator.processing.dependent.workflow.Condition;
import io.pgtrickle.operator.api.PostgresBackup;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.backup.spec.ScheduledBackup;
import io.pgtrickle.operator.postgres.ClusterNames;

/**
 * The PostgresBackup {@code NAME-schedule} of {@code spec.backup.schedule}; removed when the
 * schedule is.
 */
@KubernetesDependent(informer = @Informer(labelSelector = ClusterNames.MANAGED_SELECTOR))
public class ScheduledBackupDependent
    extends CRUDKubernetesDependentResource<PostgresBackup, PostgresCluster> {

  @Override
  protected PostgresBackup desired(PostgresCluster cluster, Context<PostgresCluster> context) {
    return ScheduledBackup.desired(cluster);
  }

  /** Only with {@code spec.backup.schedule}. */
  public static class Wanted implements Condition<PostgresBackup, PostgresCluster> {
    @Override
    public boolean isMet(
        DependentResource<PostgresBackup, PostgresCluster> dependentResource,
        PostgresCluster cluster,
        Context<PostgresCluster> context) {
      return ScheduledBackup.wanted(cluster);
    }
  }
}
