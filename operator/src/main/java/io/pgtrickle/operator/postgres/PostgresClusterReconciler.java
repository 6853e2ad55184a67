package io.pgtrickle.operator.postgres;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.api.PostgresClusterStatus;
import io.pgtrickle.operator.postgres.status.ClusterStatusCalculator;
import io.pgtrickle.operator.postgres.status.ObservedCluster;
import java.time.Clock;

/**
 * Reconciles a {@link PostgresCluster}: observes its children, derives the status and patches it
 * only when it changed.
 */
@ControllerConfiguration(name = PostgresClusterReconciler.NAME)
public class PostgresClusterReconciler implements Reconciler<PostgresCluster> {

  public static final String NAME = "postgrescluster";

  private final Clock clock;

  public PostgresClusterReconciler() {
    this(Clock.systemUTC());
  }

  PostgresClusterReconciler(Clock clock) {
    this.clock = clock;
  }

  @Override
  public UpdateControl<PostgresCluster> reconcile(
      PostgresCluster cluster, Context<PostgresCluster> context) {
    ObservedCluster observed = ObservedCluster.nothing();
    PostgresClusterStatus next =
        ClusterStatusCalculator.calculate(cluster, observed, clock.instant());
    if (next.equals(cluster.getStatus())) {
      return UpdateControl.noUpdate();
    }
    return UpdateControl.patchStatus(statusPatch(cluster, next));
  }

  /**
   * A fresh object carrying only identity and status: with server-side apply the operator then owns
   * exactly the status fields and never touches the spec.
   */
  static PostgresCluster statusPatch(PostgresCluster cluster, PostgresClusterStatus status) {
    PostgresCluster patch = new PostgresCluster();
    patch.setMetadata(
        new ObjectMetaBuilder()
            .withName(cluster.getMetadata().getName())
            .withNamespace(cluster.getMetadata().getNamespace())
            .build());
    patch.setStatus(status);
    return patch;
  }
}
