package io.pgtrickle.operator.postgres.dependent;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.dependent.DependentResource;
import io.javaoperatorsdk.operator.processing.dependent.Creator;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.BooleanWithUndefined;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.dependent.workflow.Condition;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.backup.spec.RepositoryCipher;
import java.util.Optional;

/**
 * The passphrase Secret of an encrypted backup repository ({@link RepositoryCipher}), created when
 * it does not exist; shares the informer of {@link CredentialsSecretDependent}. Unlike the other
 * generated Secrets it is neither owned by the cluster nor ever deleted (not {@code
 * GarbageCollected}): the repository outlives the cluster, and so must the key to it.
 */
@KubernetesDependent(useSSA = BooleanWithUndefined.FALSE)
public class CipherSecretDependent extends KubernetesDependentResource<Secret, PostgresCluster>
    implements Creator<Secret, PostgresCluster> {

  /** Present while {@code spec.backup.encryption.enabled}. */
  public static class Needed implements Condition<HasMetadata, PostgresCluster> {
    @Override
    public boolean isMet(
        DependentResource<HasMetadata, PostgresCluster> dependent,
        PostgresCluster cluster,
        Context<PostgresCluster> context) {
      return RepositoryCipher.needed(cluster);
    }
  }

  /** Looked up by name: the Secret {@code keySecret} names may be the user's, with no owner. */
  @Override
  public Optional<Secret> getSecondaryResource(
      PostgresCluster cluster, Context<PostgresCluster> context) {
    ResourceID id =
        new ResourceID(RepositoryCipher.secretName(cluster), cluster.getMetadata().getNamespace());
    return eventSource().flatMap(source -> source.get(id));
  }

  @Override
  protected Secret desired(PostgresCluster cluster, Context<PostgresCluster> context) {
    return RepositoryCipher.generated(cluster);
  }
}
