package io.pgtrickle.operator.postgres.dependent;

import io.fabric8.kubernetes.api.model.Secret;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.BooleanWithUndefined;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.SecondaryToPrimaryMapper;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.postgres.ClusterNames;
import io.pgtrickle.operator.postgres.spec.ClusterSecrets;
import java.util.HashSet;
import java.util.Set;

/**
 * The superuser Secret. Its informer has no label selector, so a user-made Secret is seen; the
 * replication Secret shares it. Created with a plain create, never server-side apply, so an
 * existing Secret can never be overwritten.
 */
@KubernetesDependent(useSSA = BooleanWithUndefined.FALSE)
public class CredentialsSecretDependent extends CreateOnlySecretDependent
    implements SecondaryToPrimaryMapper<Secret> {

  /**
   * Which cluster a Secret event concerns: its owner, or for a Secret without one (the user made
   * it), the cluster it is named for ({@code NAME-credentials}, {@code NAME-replication}, {@code
   * NAME-pgbackrest-cipher}), so that a password the user edits in their own Secret is applied at
   * once too.
   */
  @Override
  public Set<ResourceID> toPrimaryResourceIDs(Secret secret) {
    Set<ResourceID> owners = new HashSet<>();
    if (secret.getMetadata().getOwnerReferences() != null) {
      secret.getMetadata().getOwnerReferences().stream()
          .filter(o -> "PostgresCluster".equals(o.getKind()))
          .forEach(
              o -> owners.add(new ResourceID(o.getName(), secret.getMetadata().getNamespace())));
    }
    String name = secret.getMetadata().getName();
    owners.addAll(
        io.pgtrickle.operator.postgres.sidecars.TlsReferences.clustersServing(
            secret.getMetadata().getNamespace(), name));
    String cipherOf = io.pgtrickle.operator.backup.spec.RepositoryCipher.generatedFor(name);
    if (cipherOf != null) {
      owners.add(new ResourceID(cipherOf, secret.getMetadata().getNamespace()));
    }
    for (String suffix : new String[] {"-credentials", "-replication"}) {
      if (name.endsWith(suffix) && name.length() > suffix.length()) {
        owners.add(
            new ResourceID(
                name.substring(0, name.length() - suffix.length()),
                secret.getMetadata().getNamespace()));
      }
    }
    return owners;
  }

  @Override
  protected String name(PostgresCluster cluster) {
    return ClusterNames.credentialsSecret(cluster);
  }

  @Override
  protected Secret desired(PostgresCluster cluster, Context<PostgresCluster> context) {
    return ClusterSecrets.credentials(cluster);
  }
}
