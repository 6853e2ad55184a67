package io.pgtrickle.operator.backup;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.pgtrickle.operator.api.BackupDestination;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.backup.spec.PgBackRest;
import io.pgtrickle.operator.status.Conditions;
import io.pgtrickle.operator.storage.ClaimRequests;
import io.pgtrickle.operator.storage.VolumeExpansion;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Creates, once, the repository volume of a cluster whose {@code spec.backup.destination.type} is
 * PVC ({@link PgBackRest#repositoryVolume}). Never deleted by the operator: the backups outlive the
 * cluster (delete the claim {@code NAME-pgbackrest-repo} by hand to drop them). The only change it
 * makes to it is growing it ({@link VolumeExpansion}) when the size the spec asks for grows.
 *
 * <p>A size the claim does not have and cannot get (a smaller one: the API server refuses shrinking
 * it in place, but not {@code spec.backup} removed and added back, a detour through an object
 * store, or a cluster created again over an old claim; a larger one its StorageClass cannot expand
 * to; one still growing) is reported as the cluster's condition {@value #CONDITION} False, reason
 * {@value #SIZE_MISMATCH}, never ignored.
 */
public final class RepositoryVolume {

  /** The cluster's condition: whether the repository volume is as {@code spec.backup} asks. */
  public static final String CONDITION = "BackupRepository";

  public static final String AS_SPECIFIED = "RepositoryAsSpecified";
  public static final String SIZE_MISMATCH = "RepositorySizeMismatch";

  private RepositoryVolume() {}

  /**
   * Makes sure the claim exists before the pods that mount it are made.
   *
   * @return the size problem of a claim that existed ({@link #sizeProblem}); empty when there is
   *     none, or no volume repository
   */
  public static Optional<String> ensure(KubernetesClient client, PostgresCluster cluster) {
    if (cluster.getSpec().getBackup() == null
        || !PgBackRest.onVolume(cluster.getSpec().getBackup())) {
      return Optional.empty();
    }
    String name = PgBackRest.repositoryClaim(cluster);
    var claims = client.persistentVolumeClaims().inNamespace(cluster.getMetadata().getNamespace());
    PersistentVolumeClaim existing = claims.withName(name).get();
    if (existing != null) {
      // Grown (destination.size, or spec.storage.size when absent, may grow): volume expansion.
      String wanted = wantedSize(cluster);
      VolumeExpansion.Verdict verdict =
          VolumeExpansion.judge(
              existing,
              wanted,
              VolumeExpansion.requestBelow(existing, wanted)
                  ? ClaimRequests.storageClass(client, existing)
                  : null);
      if (verdict instanceof VolumeExpansion.Expand expand) {
        verdict = ClaimRequests.raise(client, cluster.getMetadata().getNamespace(), expand);
      }
      return verdict instanceof VolumeExpansion.AsWanted
          ? sizeProblem(cluster, existing)
          : Optional.of(expansionProblem(cluster, verdict));
    }
    try {
      claims.resource(PgBackRest.repositoryVolume(cluster)).create();
    } catch (KubernetesClientException e) {
      if (e.getCode() != 409) {
        throw e;
      }
    }
    return Optional.empty();
  }

  /** The repository volume's size the spec asks for: destination.size, else spec.storage.size. */
  static String wantedSize(PostgresCluster cluster) {
    BackupDestination d = cluster.getSpec().getBackup().getDestination();
    return d != null && d.getSize() != null
        ? d.getSize()
        : cluster.getSpec().getStorage().getSize();
  }

  /** What the condition says of a repository volume that is growing or cannot grow. Pure. */
  static String expansionProblem(PostgresCluster cluster, VolumeExpansion.Verdict verdict) {
    String head =
        "The repository volume "
            + verdict.claim()
            + " is to grow to "
            + wantedSize(cluster)
            + " (destination.size, or spec.storage.size when absent): ";
    if (verdict instanceof VolumeExpansion.Expand || verdict instanceof VolumeExpansion.Expanding) {
      return head
          + (verdict instanceof VolumeExpansion.Expanding e
              ? "it has " + e.capacity() + ", the storage driver is growing it"
              : "its request is raised, the storage driver grows it")
          + ". Archiving and backups go on in the volume as it is";
    }
    String why =
        verdict instanceof VolumeExpansion.NotExpandable n
            ? "it cannot grow: "
                + n.why()
                + ". Allow expansion on the StorageClass if its driver supports it; the size"
                + " cannot go back (volumes never shrink)"
            : "growing it failed: " + ((VolumeExpansion.Failed) verdict).why();
    return head + why + ". Archiving and backups go on in the volume as it is";
  }

  /**
   * Why the claim {@code existing} is not the volume {@code spec.backup.destination.size} (absent:
   * {@code spec.storage.size}) asks for: its request differs from that size (compared as
   * quantities: 1Gi and 1024Mi are the same). The message names the field, both sizes and what to
   * do. Pure.
   */
  public static Optional<String> sizeProblem(
      PostgresCluster cluster, PersistentVolumeClaim existing) {
    BackupDestination d = cluster.getSpec().getBackup().getDestination();
    boolean given = d != null && d.getSize() != null;
    String wanted = given ? d.getSize() : cluster.getSpec().getStorage().getSize();
    Quantity requested =
        existing.getSpec() == null
                || existing.getSpec().getResources() == null
                || existing.getSpec().getResources().getRequests() == null
            ? null
            : existing.getSpec().getResources().getRequests().get("storage");
    if (requested == null) {
      return Optional.empty();
    }
    int order =
        Quantity.getAmountInBytes(new Quantity(wanted))
            .compareTo(Quantity.getAmountInBytes(requested));
    if (order == 0) {
      return Optional.empty();
    }
    String claim = existing.getMetadata().getName();
    String field =
        given
            ? "spec.backup.destination.size is " + wanted
            : "spec.backup.destination.size is absent, so spec.storage.size ("
                + wanted
                + ") applies,";
    String have = requested.toString();
    String keep =
        "remove spec.backup and add it back with destination.size "
            + have
            + " (the API server refuses changing the size in place)";
    String todo =
        order > 0
            ? "Expand the claim if its StorageClass allows volume expansion (kubectl patch pvc "
                + claim
                + " -p '{\"spec\":{\"resources\":{\"requests\":{\"storage\":\""
                + wanted
                + "\"}}}}'), or keep the size it has: "
                + keep
            : "A volume cannot shrink; keep the size it has: " + keep;
    return Optional.of(
        field
            + " but the repository volume "
            + claim
            + " exists with "
            + have
            + ": the operator creates it once and never resizes it. "
            + todo
            + ". Archiving and backups go on in the volume as it is");
  }

  /**
   * {@code conditions} with {@value #CONDITION} set from {@code problem} (for a cluster with a
   * volume repository), or without it (no volume repository). Pure.
   */
  public static List<Condition> condition(
      List<Condition> conditions,
      PostgresCluster cluster,
      Optional<String> problem,
      long generation,
      Instant now) {
    if (cluster.getSpec().getBackup() == null
        || !PgBackRest.onVolume(cluster.getSpec().getBackup())) {
      return Conditions.without(conditions, CONDITION);
    }
    return Conditions.with(
        conditions,
        CONDITION,
        problem.isEmpty(),
        problem.isEmpty() ? AS_SPECIFIED : SIZE_MISMATCH,
        problem.orElse(
            "The repository volume " + PgBackRest.repositoryClaim(cluster) + " has the size asked"),
        generation,
        now);
  }
}
