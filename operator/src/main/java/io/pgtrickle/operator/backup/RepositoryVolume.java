package io.pgtrickle.operator.backup;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.backup.spec.PgBackRest;

/**
 * Creates, once, the repository volume of a cluster whose {@code spec.backup.destination.type} is
 * PVC ({@link PgBackRest#repositoryVolume}). Never changed or deleted by the operator: the backups
 * outlive the cluster (delete the claim {@code NAME-pgbackrest-repo} by hand to drop them).
 */
public final class RepositoryVolume {

  private RepositoryVolume() {}

  /** Makes sure the claim exists before the pods that mount it are made. */
  public static void ensure(KubernetesClient client, PostgresCluster cluster) {
    if (cluster.getSpec().getBackup() == null
        || !PgBackRest.onVolume(cluster.getSpec().getBackup())) {
      return;
    }
    String name = PgBackRest.repositoryClaim(cluster);
    var claims = client.persistentVolumeClaims().inNamespace(cluster.getMetadata().getNamespace());
    if (claims.withName(name).get() != null) {
      return;
    }
    try {
      claims.resource(PgBackRest.repositoryVolume(cluster)).create();
    } catch (KubernetesClientException e) {
      if (e.getCode() != 409) {
        throw e;
      }
    }
  }
}
