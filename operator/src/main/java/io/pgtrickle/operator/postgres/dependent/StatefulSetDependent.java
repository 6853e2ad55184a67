package io.pgtrickle.operator.postgres.dependent;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.backup.RestoreSources;
import io.pgtrickle.operator.postgres.ClusterNames;
import io.pgtrickle.operator.postgres.PostgresClusterReconciler;
import io.pgtrickle.operator.postgres.credentials.AppliedCredentials;
import io.pgtrickle.operator.postgres.rollout.TlsTransition;
import io.pgtrickle.operator.postgres.spec.ClusterStatefulSet;
import io.pgtrickle.operator.postgres.spec.PostgresImages;
import java.util.List;

/** The members' StatefulSet. */
@KubernetesDependent(informer = @Informer(labelSelector = ClusterNames.MANAGED_SELECTOR))
public class StatefulSetDependent
    extends CRUDKubernetesDependentResource<StatefulSet, PostgresCluster> {

  @Override
  protected StatefulSet desired(PostgresCluster cluster, Context<PostgresCluster> context) {
    long credentialsGeneration =
        AppliedCredentials.generation(
            PostgresClusterReconciler.secretNamed(
                context, cluster, ClusterNames.appliedCredentialsSecret(cluster)));
    TlsTransition.Decision tls = tlsTransition(cluster, context);
    return ClusterStatefulSet.keepingClaimSize(
        ClusterStatefulSet.build(
            tls.buildFrom(),
            PostgresImages.forCluster(cluster),
            credentialsGeneration,
            RestoreSources.forBuilders(context.getClient(), cluster),
            tls.transition()),
        context.getSecondaryResource(StatefulSet.class).orElse(null));
  }

  /**
   * Whether the members' template is a TLS transition ({@link TlsTransition}): as the round decided
   * it (one decision for the StatefulSet and Patroni's ConfigMap), else from the cache.
   */
  static TlsTransition.Decision tlsTransition(
      PostgresCluster cluster, Context<PostgresCluster> context) {
    return context
        .managedWorkflowAndDependentResourceContext()
        .get(TlsTransition.CONTEXT_KEY, TlsTransition.Decision.class)
        .orElseGet(
            () ->
                TlsTransition.decide(
                    cluster,
                    context.getSecondaryResource(StatefulSet.class).orElse(null),
                    List.copyOf(context.getSecondaryResources(Pod.class)),
                    name -> PostgresClusterReconciler.secretNamed(context, cluster, name)));
  }
}
