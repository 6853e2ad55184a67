package io.pgtrickle.testbed;

import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;

/**
 * Plays the storage driver the test bed has not got: for every PersistentVolumeClaim in a namespace
 * it creates a PersistentVolume pre-bound to it, which the real PV controller then binds, so the
 * real scheduler can place pods that claim volumes. (kwok plays the kubelet; this plays the CSI
 * provisioner.) The volumes are hostPath placeholders no container ever mounts.
 *
 * <p>It also plays a storage driver's resizer and the kubelet's file-system expansion: when a bound
 * claim's storage request grows past its capacity (volume expansion, which the API server allows
 * only for a StorageClass with {@code allowVolumeExpansion: true}), the volume's capacity and then
 * the claim's {@code status.capacity} are set to the request, as an online expansion ends.
 */
public final class VolumeProvisioner implements AutoCloseable {

  private final KubernetesClient client;
  private final SharedIndexInformer<PersistentVolumeClaim> informer;

  public VolumeProvisioner(KubernetesClient client, String namespace) {
    this.client = client;
    this.informer =
        client
            .persistentVolumeClaims()
            .inNamespace(namespace)
            .inform(
                new ResourceEventHandler<>() {
                  @Override
                  public void onAdd(PersistentVolumeClaim claim) {
                    provision(claim);
                  }

                  @Override
                  public void onUpdate(PersistentVolumeClaim old, PersistentVolumeClaim claim) {
                    provision(claim);
                    expand(claim);
                  }

                  @Override
                  public void onDelete(PersistentVolumeClaim claim, boolean unknown) {}
                });
  }

  private void provision(PersistentVolumeClaim claim) {
    if (claim.getSpec().getVolumeName() != null
        || claim.getMetadata().getDeletionTimestamp() != null) {
      return;
    }
    String name = "pv-" + claim.getMetadata().getUid();
    PersistentVolume volume =
        new PersistentVolumeBuilder()
            .withNewMetadata()
            .withName(name)
            .addToLabels("pgtrickle.io/test-volume", claim.getMetadata().getNamespace())
            .endMetadata()
            .withNewSpec()
            .withCapacity(claim.getSpec().getResources().getRequests())
            .withAccessModes(claim.getSpec().getAccessModes())
            .withStorageClassName(
                claim.getSpec().getStorageClassName() == null
                    ? ""
                    : claim.getSpec().getStorageClassName())
            .withPersistentVolumeReclaimPolicy("Delete")
            .withNewHostPath()
            .withPath("/tmp/pgtrickle-test-volumes/" + name)
            .endHostPath()
            .withNewClaimRef()
            .withNamespace(claim.getMetadata().getNamespace())
            .withName(claim.getMetadata().getName())
            .withUid(claim.getMetadata().getUid())
            .endClaimRef()
            .endSpec()
            .build();
    try {
      client.persistentVolumes().resource(volume).create();
    } catch (KubernetesClientException e) {
      if (e.getCode() != 409) {
        throw e;
      }
    }
  }

  private void expand(PersistentVolumeClaim claim) {
    String volume = claim.getSpec().getVolumeName();
    Quantity requested = storage(claim.getSpec().getResources().getRequests());
    Quantity capacity = claim.getStatus() == null ? null : storage(claim.getStatus().getCapacity());
    if (volume == null
        || requested == null
        || capacity == null
        || Quantity.getAmountInBytes(requested).compareTo(Quantity.getAmountInBytes(capacity))
            <= 0) {
      return;
    }
    try {
      client
          .persistentVolumes()
          .withName(volume)
          .edit(
              pv -> {
                pv.getSpec().getCapacity().put("storage", requested);
                return pv;
              });
      client
          .persistentVolumeClaims()
          .inNamespace(claim.getMetadata().getNamespace())
          .withName(claim.getMetadata().getName())
          .editStatus(
              c -> {
                c.getStatus().getCapacity().put("storage", requested);
                return c;
              });
    } catch (KubernetesClientException e) {
      if (e.getCode() != 404 && e.getCode() != 409) {
        throw e;
      }
      // Gone, or changed meanwhile: the next update of the claim tries again.
    }
  }

  private static Quantity storage(java.util.Map<String, Quantity> resources) {
    return resources == null ? null : resources.get("storage");
  }

  @Override
  public void close() {
    informer.close();
  }
}
