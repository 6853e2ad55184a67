package io.pgtrickle.testbed;

import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.io.IOException;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The member pods' data volumes: one directory per claim incarnation, {@code
 * WORK/volumes/CLAIM-UID} ({@code UID} the PersistentVolumeClaim's {@code metadata.uid}), as a real
 * cluster binds a new, empty volume to a claim created again under the same name, while a pod
 * started again on the same claim finds its data. The directory is removed when its claim is
 * deleted, as the real PV controller deletes the volume {@link VolumeProvisioner} made (reclaim
 * policy {@code Delete}); a claim kept (a cluster's volumes are kept after it is deleted) keeps its
 * directory.
 */
final class MemberVolumes implements AutoCloseable {

  /** The pod volume that holds PostgreSQL's data (the operator's StatefulSet names it so). */
  static final String DATA_VOLUME = "data";

  private static final Logger LOG = LoggerFactory.getLogger(MemberVolumes.class);

  private final Path root;
  private final SharedIndexInformer<PersistentVolumeClaim> claims;

  /** Removes the directories of {@code namespace}'s claims under {@code work} as they go. */
  MemberVolumes(KubernetesClient client, String namespace, Path work) {
    this.root = work.resolve("volumes");
    this.claims =
        client
            .persistentVolumeClaims()
            .inNamespace(namespace)
            .inform(
                new ResourceEventHandler<>() {
                  @Override
                  public void onAdd(PersistentVolumeClaim claim) {}

                  @Override
                  public void onUpdate(PersistentVolumeClaim old, PersistentVolumeClaim claim) {}

                  @Override
                  public void onDelete(PersistentVolumeClaim claim, boolean unknown) {
                    Path dir =
                        directory(
                            root, claim.getMetadata().getName(), claim.getMetadata().getUid());
                    try {
                      PodHost.deleteRecursively(dir);
                    } catch (IOException | RuntimeException e) {
                      LOG.warn("volume {} not removed: {}", dir, e.toString());
                    }
                  }
                });
  }

  /**
   * The directory of the claim {@code claim} with UID {@code uid} under {@code root} ({@code
   * WORK/volumes}): {@code root/CLAIM-UID}. Pure.
   */
  static Path directory(Path root, String claim, String uid) {
    return root.resolve(claim + "-" + uid);
  }

  /**
   * The claim of {@code pod}'s data volume: the one its {@value #DATA_VOLUME} volume names, else
   * the StatefulSet's {@code data-POD}. Pure.
   */
  static String claimOf(Pod pod) {
    return pod.getSpec().getVolumes().stream()
        .filter(v -> DATA_VOLUME.equals(v.getName()) && v.getPersistentVolumeClaim() != null)
        .map(Volume::getPersistentVolumeClaim)
        .map(c -> c.getClaimName())
        .findFirst()
        .orElse(DATA_VOLUME + "-" + pod.getMetadata().getName());
  }

  /**
   * The directory of {@code pod}'s data volume under {@code work}: of the claim as it is now.
   *
   * @throws IOException when the claim does not exist (the scheduler places no pod whose claim is
   *     missing, so this is a claim deleted meanwhile)
   */
  static Path of(KubernetesClient client, Path work, Pod pod) throws IOException {
    String name = claimOf(pod);
    PersistentVolumeClaim claim =
        client
            .persistentVolumeClaims()
            .inNamespace(pod.getMetadata().getNamespace())
            .withName(name)
            .get();
    if (claim == null) {
      throw new IOException(
          "claim " + name + " of pod " + pod.getMetadata().getName() + " is gone");
    }
    return directory(work.resolve("volumes"), name, claim.getMetadata().getUid());
  }

  @Override
  public void close() {
    claims.close();
  }
}
