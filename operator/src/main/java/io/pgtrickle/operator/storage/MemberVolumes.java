package io.pgtrickle.operator.storage;

import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.storage.StorageClass;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.pgtrickle.operator.api.PostgresCluster;
import io.pgtrickle.operator.postgres.ClusterNames;
import io.pgtrickle.operator.postgres.spec.ClusterStatefulSet;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Grows the members' volumes to {@code spec.storage.size} (volume expansion): raises the storage
 * request of each member's claim ({@code data-NAME-i}, {@code i} below {@code spec.replicas}) that
 * asks for less, when its StorageClass allows expansion ({@link VolumeExpansion}). The
 * StatefulSet's claim template keeps the size the members were created with (the API server refuses
 * changing it), so a member added later is grown the same way once its claim exists.
 */
public final class MemberVolumes {

  private MemberVolumes() {}

  /** The members' claims' names, by ordinal below {@code spec.replicas}. */
  public static List<String> claims(PostgresCluster cluster) {
    List<String> names = new ArrayList<>();
    for (int i = 0; i < cluster.getSpec().getReplicas(); i++) {
      names.add(ClusterStatefulSet.DATA_VOLUME + "-" + ClusterNames.statefulSet(cluster) + "-" + i);
    }
    return names;
  }

  /**
   * What {@link #expand} found.
   *
   * @param verdicts the verdict on each member's claim that exists (empty: none exists yet)
   * @param smallestCapacity the smallest {@code status.capacity} among them before this round's
   *     requests, or null when none is known
   */
  public record Result(List<VolumeExpansion.Verdict> verdicts, String smallestCapacity) {}

  /**
   * Raises the requests that are below {@code spec.storage.size}, and returns the verdict on each
   * member's claim that exists, with their smallest capacity. A request the API server refuses, or
   * a claim or StorageClass that cannot be read, is a {@link VolumeExpansion.Failed} with the
   * reason.
   */
  public static Result expand(KubernetesClient client, PostgresCluster cluster) {
    String namespace = cluster.getMetadata().getNamespace();
    String size = cluster.getSpec().getStorage().getSize();
    Map<String, StorageClass> classes = new HashMap<>();
    List<VolumeExpansion.Verdict> verdicts = new ArrayList<>();
    List<PersistentVolumeClaim> seen = new ArrayList<>();
    for (String name : claims(cluster)) {
      try {
        PersistentVolumeClaim claim =
            client.persistentVolumeClaims().inNamespace(namespace).withName(name).get();
        if (claim == null || claim.getMetadata().getDeletionTimestamp() != null) {
          continue;
        }
        seen.add(claim);
        // The StorageClass is read only for a claim to grow, once per class.
        StorageClass storageClass =
            VolumeExpansion.requestBelow(claim, size)
                ? classes.computeIfAbsent(
                    String.valueOf(claim.getSpec().getStorageClassName()),
                    n -> ClaimRequests.storageClass(client, claim))
                : null;
        VolumeExpansion.Verdict verdict = VolumeExpansion.judge(claim, size, storageClass);
        if (verdict instanceof VolumeExpansion.Expand expand) {
          verdict = ClaimRequests.raise(client, namespace, expand);
        }
        verdicts.add(verdict);
      } catch (KubernetesClientException e) {
        // Reading the claim or its StorageClass was refused (RBAC) or failed: said, not thrown,
        // so the rest of the reconcile goes on.
        verdicts.add(
            new VolumeExpansion.Failed(
                name, "cannot read the claim or its StorageClass: " + e.getMessage()));
      }
    }
    return new Result(verdicts, VolumeExpansion.smallestCapacity(seen));
  }
}
