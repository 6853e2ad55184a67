package io.pgtrickle.operator.backup;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.pgtrickle.operator.api.PostgresBackup;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.backup.spec.PgBackRest;
import io.pgtrickle.operator.backup.spec.RepositoryIdentity;
import io.pgtrickle.operator.backup.spec.RestoreSource;
import io.pgtrickle.operator.postgres.ClusterNames;

/**
 * Finds what a cluster's {@code spec.restore.backupName} names: a PostgresBackup (its {@code
 * clusterName}'s repository) or a PostgresCluster with {@code spec.backup}, in the same namespace,
 * and checks that the restore can start from it.
 */
public final class RestoreSources {

  /** Why a restore cannot start; {@code mayResolveItself}: the source may still be created. */
  public record Problem(String reason, String message, boolean mayResolveItself) {}

  /** Either a source or a problem. */
  public record Lookup(RestoreSource source, Problem problem) {}

  private RestoreSources() {}

  /** The source of {@code cluster}'s {@code spec.restore} (which must be set), or why not. */
  public static Lookup resolve(KubernetesClient client, PostgresCluster cluster) {
    String namespace = cluster.getMetadata().getNamespace();
    String name = cluster.getSpec().getRestore().getBackupName();
    String clusterName = name;
    PostgresBackup backup =
        client.resources(PostgresBackup.class).inNamespace(namespace).withName(name).get();
    if (backup != null) {
      clusterName = backup.getSpec().getClusterName();
    }
    PostgresCluster source =
        client.resources(PostgresCluster.class).inNamespace(namespace).withName(clusterName).get();
    String field = "spec.restore.backupName \"" + name + "\"";
    if (source == null) {
      return problem(
          "RestoreSourceNotFound",
          field
              + (backup == null
                  ? " names neither a PostgresBackup nor a PostgresCluster in this namespace"
                  : " is the PostgresBackup of PostgresCluster \""
                      + clusterName
                      + "\", which does not exist"),
          true);
    }
    if (source.getSpec().getBackup() == null) {
      return problem(
          "RestoreSourceHasNoBackup",
          field + ": PostgresCluster \"" + clusterName + "\" has no spec.backup repository",
          true);
    }
    if (source.getSpec().majorVersion() != cluster.getSpec().majorVersion()) {
      return problem(
          "RestoreVersionMismatch",
          "spec.version "
              + cluster.getSpec().majorVersion()
              + " differs from the source cluster's "
              + source.getSpec().majorVersion()
              + ": a backup restores only into the same PostgreSQL major",
          false);
    }
    RestoreSource restore = RestoreSource.of(cluster, source);
    if (cluster.getSpec().getBackup() != null && sameRepository(cluster, restore)) {
      return problem(
          "RestoreRepositoryShared",
          "spec.backup's repository ("
              + PgBackRest.repositoryPath(cluster)
              + ") is the source's: a restored cluster must archive to a path of its own; set"
              + " another spec.backup.destination.path",
          false);
    }
    return new Lookup(restore, null);
  }

  /**
   * The source for the builders, or null once the cluster no longer needs it: after Patroni has
   * initialised the cluster, nothing bootstraps again.
   *
   * @throws IllegalStateException when the source is needed and cannot be found, so that nothing is
   *     applied that would bootstrap an empty database instead of the restored one
   */
  public static RestoreSource forBuilders(KubernetesClient client, PostgresCluster cluster) {
    if (cluster.getSpec().getRestore() == null) {
      return null;
    }
    Lookup lookup = resolve(client, cluster);
    if (lookup.source() != null) {
      return lookup.source();
    }
    if (initialized(client, cluster)) {
      return null;
    }
    throw new IllegalStateException(lookup.problem().message());
  }

  /**
   * Whether Patroni has initialised the cluster: its {@code NAME-config} holds the system
   * identifier under "initialize" (empty while the first member bootstraps).
   */
  public static boolean initialized(KubernetesClient client, PostgresCluster cluster) {
    ConfigMap config =
        client
            .configMaps()
            .inNamespace(cluster.getMetadata().getNamespace())
            .withName(ClusterNames.patroniScope(cluster) + "-config")
            .get();
    return config != null
        && config.getMetadata().getAnnotations() != null
        && !config.getMetadata().getAnnotations().getOrDefault("initialize", "").isBlank();
  }

  /**
   * Whether {@code cluster}'s own repository is {@code source}'s: equal {@link RepositoryIdentity}
   * (one path spelled {@code /a/b}, {@code /a/b/} or {@code //a/b}, one endpoint with or without a
   * trailing slash or its default port). Two volume repositories are never one: each cluster has
   * its own claim.
   */
  static boolean sameRepository(PostgresCluster cluster, RestoreSource source) {
    return RepositoryIdentity.of(cluster)
        .equals(
            RepositoryIdentity.of(
                source.backup(), cluster.getMetadata().getNamespace(), source.clusterName()));
  }

  private static Lookup problem(String reason, String message, boolean mayResolveItself) {
    return new Lookup(null, new Problem(reason, message, mayResolveItself));
  }
}
