package io.pgtrickle.operator.postgres.dependent;

import io.fabric8.kubernetes.api.model.Secret;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.dependent.GarbageCollected;
import io.javaoperatorsdk.operator.processing.dependent.Creator;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.pgtrickle.operator.api.PostgresCluster;
import java.util.Optional;

/**
 * A Secret that is created once and never updated (no {@code Updater}), so a generated password is
 * stable for the life of the cluster.
 *
 * <p>The existing Secret is looked up by name rather than by owner reference: a Secret the user
 * created beforehand under the same name has no owner reference, and is then used as it is instead
 * of being created again (which would fail) or overwritten.
 *
 * <p>Never deleted by the operator either, not even when the feature it serves is turned off (the
 * pooler's or the exporter's login): the operator's RBAC has no delete on Secrets (a credential is
 * never removed by it, and a Secret the user made must not be), so a delete would be refused and
 * fail every reconcile. The Secret goes with the cluster, by its owner reference, and is reused if
 * the feature is turned on again.
 */
abstract class CreateOnlySecretDependent
    extends KubernetesDependentResource<Secret, PostgresCluster>
    implements Creator<Secret, PostgresCluster>, GarbageCollected<PostgresCluster> {

  /** The Secret's name for this cluster. */
  protected abstract String name(PostgresCluster cluster);

  @Override
  public Optional<Secret> getSecondaryResource(
      PostgresCluster cluster, Context<PostgresCluster> context) {
    ResourceID id = new ResourceID(name(cluster), cluster.getMetadata().getNamespace());
    return eventSource().flatMap(source -> source.get(id));
  }

  /** Kept: see the class comment. */
  @Override
  protected void handleDelete(
      PostgresCluster cluster, Secret secret, Context<PostgresCluster> context) {
    // Nothing: the Secret stays until the cluster is deleted.
  }
}
