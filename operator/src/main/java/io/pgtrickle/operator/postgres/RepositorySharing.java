package io.pgtrickle.operator.postgres;

import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.backup.spec.RepositoryIdentity;
import java.util.Collection;
import java.util.Optional;

/**
 * Refuses a cluster whose {@code spec.backup} repository is another PostgresCluster's ({@link
 * RepositoryIdentity}, any namespace the operator watches): phase Failed, reason {@value #REASON}.
 * The older cluster (creationTimestamp, then namespace/name) keeps the repository and is not
 * touched; the newer one is refused, and, like every refusal, nothing of it is applied: its
 * pgbackrest.conf is never (re)written to point into the other's repository. A newer cluster that
 * already archived there (created before this check, or the repository made equal by an edit that
 * the operator refused) keeps its pods as they are until its path is changed, and its status says
 * why. Pure.
 */
final class RepositorySharing {

  static final String REASON = "RepositoryShared";

  private RepositorySharing() {}

  /** The refusal of {@code cluster} among {@code clusters} (the primary cache), if any. */
  static Optional<ClusterValidation.Problem> problem(
      PostgresCluster cluster, Collection<PostgresCluster> clusters) {
    return RepositoryIdentity.keptBy(cluster, clusters)
        .map(
            other ->
                new ClusterValidation.Problem(
                    REASON,
                    "spec.backup's repository ("
                        + RepositoryIdentity.of(cluster).describe()
                        + ") is PostgresCluster "
                        + other.getMetadata().getNamespace()
                        + "/"
                        + other.getMetadata().getName()
                        + "'s, which is older and keeps it: two clusters in one repository"
                        + " mix their WAL and timeline history. Set another"
                        + " spec.backup.destination.path",
                    true));
  }
}
