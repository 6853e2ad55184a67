package io.pgtrickle.testbed;

import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimCondition;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimConditionBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.storage.StorageClass;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Plays the storage driver the test bed has not got: for every PersistentVolumeClaim in a namespace
 * it creates a PersistentVolume pre-bound to it, which the real PV controller then binds, so the
 * real scheduler can place pods that claim volumes. (kwok plays the kubelet; this plays the CSI
 * provisioner.) The volumes are hostPath placeholders no container ever mounts.
 *
 * <p>It also plays a storage driver's resizer and the kubelet's file-system expansion: when a bound
 * claim's storage request grows past its capacity (volume expansion, which the API server allows
 * only for a StorageClass with {@code allowVolumeExpansion: true}), the volume's capacity and then
 * the claim's {@code status.capacity} are set to the request, as an online expansion ends. For a
 * StorageClass with the parameter {@value #EXPANSION_PARAMETER} {@code offline} it plays a driver
 * that grows file systems only when a pod mounts the volume: the volume grows, the claim gets the
 * condition {@code FileSystemResizePending} (as the external resizer sets it) and keeps its
 * capacity until a new pod (another UID) that mounts it runs; then the capacity is the request and
 * the condition is gone, as the kubelet's expansion on mount ends.
 */
public final class VolumeProvisioner implements AutoCloseable {

  /** The StorageClass parameter that makes its volumes' file systems grow only on a mount. */
  public static final String EXPANSION_PARAMETER = "pgtrickle.io/expansion";

  private static final String FILE_SYSTEM_RESIZE_PENDING = "FileSystemResizePending";

  private static final Logger LOG = LoggerFactory.getLogger(VolumeProvisioner.class);

  private final KubernetesClient client;
  private final SharedIndexInformer<PersistentVolumeClaim> informer;
  private final SharedIndexInformer<Pod> pods;

  /** Claims (namespace/name) whose file system waits for a mount: the UID of the pod then. */
  private final Map<String, String> waitingForMount = new ConcurrentHashMap<>();

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
                    try {
                      expand(claim);
                    } catch (RuntimeException e) {
                      LOG.warn(
                          "claim {} not grown: {}", claim.getMetadata().getName(), e.toString());
                    }
                  }

                  @Override
                  public void onDelete(PersistentVolumeClaim claim, boolean unknown) {}
                });
    this.pods =
        client
            .pods()
            .inNamespace(namespace)
            .inform(
                new ResourceEventHandler<>() {
                  @Override
                  public void onAdd(Pod pod) {
                    mounted(pod);
                  }

                  @Override
                  public void onUpdate(Pod old, Pod pod) {
                    mounted(pod);
                  }

                  @Override
                  public void onDelete(Pod pod, boolean unknown) {}
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
      if (offline(claim)) {
        growOffline(claim, volume, requested);
        return;
      }
      growVolume(volume, requested);
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

  /** The resizer's part: the volume's capacity. */
  private void growVolume(String volume, Quantity requested) {
    client
        .persistentVolumes()
        .withName(volume)
        .edit(
            pv -> {
              pv.getSpec().getCapacity().put("storage", requested);
              return pv;
            });
  }

  private boolean offline(PersistentVolumeClaim claim) {
    String className = claim.getSpec().getStorageClassName();
    if (className == null || className.isEmpty()) {
      return false;
    }
    StorageClass storageClass = client.storage().v1().storageClasses().withName(className).get();
    return storageClass != null
        && storageClass.getParameters() != null
        && "offline".equals(storageClass.getParameters().get(EXPANSION_PARAMETER));
  }

  /** The volume grows; its file system waits for the next pod that mounts it. */
  private void growOffline(PersistentVolumeClaim claim, String volume, Quantity requested) {
    String key = key(claim.getMetadata().getNamespace(), claim.getMetadata().getName());
    if (waitingForMount.containsKey(key) && fileSystemPending(claim)) {
      return;
    }
    String mountedBy =
        pods.getStore().list().stream()
            .filter(p -> claims(p).contains(claim.getMetadata().getName()))
            .map(p -> p.getMetadata().getUid())
            .findFirst()
            .orElse("");
    growVolume(volume, requested);
    PersistentVolumeClaim after =
        client
            .persistentVolumeClaims()
            .inNamespace(claim.getMetadata().getNamespace())
            .withName(claim.getMetadata().getName())
            .editStatus(
                c -> {
                  Quantity now = storage(c.getStatus().getCapacity());
                  if (now != null
                      && Quantity.getAmountInBytes(now)
                              .compareTo(Quantity.getAmountInBytes(requested))
                          >= 0) {
                    return c; // a stale event: the file system has grown since
                  }
                  List<PersistentVolumeClaimCondition> conditions =
                      new ArrayList<>(
                          c.getStatus().getConditions() == null
                              ? List.of()
                              : c.getStatus().getConditions());
                  conditions.removeIf(x -> FILE_SYSTEM_RESIZE_PENDING.equals(x.getType()));
                  conditions.add(
                      new PersistentVolumeClaimConditionBuilder()
                          .withType(FILE_SYSTEM_RESIZE_PENDING)
                          .withStatus("True")
                          .withLastTransitionTime(Instant.now().toString())
                          .withMessage(
                              "Waiting for user to (re-)start a pod to finish file system resize of"
                                  + " volume on node.")
                          .build());
                  c.getStatus().setConditions(conditions);
                  return c;
                });
    if (!fileSystemPending(after)) {
      return;
    }
    waitingForMount.putIfAbsent(key, mountedBy);
    LOG.info(
        "volume of claim {} grown to {}; its file system waits for a pod other than {}",
        key,
        requested,
        mountedBy.isEmpty() ? "none" : mountedBy);
  }

  private static boolean fileSystemPending(PersistentVolumeClaim claim) {
    return claim.getStatus() != null
        && claim.getStatus().getConditions() != null
        && claim.getStatus().getConditions().stream()
            .anyMatch(c -> FILE_SYSTEM_RESIZE_PENDING.equals(c.getType()));
  }

  /** A running pod that mounts a waiting claim, and is not the pod it waited under: grown. */
  private void mounted(Pod pod) {
    if (pod.getMetadata().getDeletionTimestamp() != null
        || pod.getStatus() == null
        || !"Running".equals(pod.getStatus().getPhase())) {
      return;
    }
    for (String claimName : claims(pod)) {
      String key = key(pod.getMetadata().getNamespace(), claimName);
      String before = waitingForMount.get(key);
      if (before == null || before.equals(pod.getMetadata().getUid())) {
        continue;
      }
      // A running pod may get no further update: retry a conflicting write here.
      for (int attempt = 1; ; attempt++) {
        try {
          client
              .persistentVolumeClaims()
              .inNamespace(pod.getMetadata().getNamespace())
              .withName(claimName)
              .editStatus(
                  c -> {
                    c.getStatus()
                        .getCapacity()
                        .put("storage", storage(c.getSpec().getResources().getRequests()));
                    if (c.getStatus().getConditions() != null) {
                      c.getStatus()
                          .getConditions()
                          .removeIf(x -> FILE_SYSTEM_RESIZE_PENDING.equals(x.getType()));
                    }
                    return c;
                  });
          waitingForMount.remove(key);
          LOG.info(
              "file system of claim {} grown: mounted by pod {}", key, pod.getMetadata().getName());
          break;
        } catch (KubernetesClientException e) {
          if (e.getCode() == 404) {
            break;
          }
          if (e.getCode() != 409 || attempt == 5) {
            throw e;
          }
        }
      }
    }
  }

  private static List<String> claims(Pod pod) {
    return pod.getSpec() == null || pod.getSpec().getVolumes() == null
        ? List.of()
        : pod.getSpec().getVolumes().stream()
            .filter(v -> v.getPersistentVolumeClaim() != null)
            .map(v -> v.getPersistentVolumeClaim().getClaimName())
            .toList();
  }

  private static String key(String namespace, String claim) {
    return namespace + "/" + claim;
  }

  private static Quantity storage(Map<String, Quantity> resources) {
    return resources == null ? null : resources.get("storage");
  }

  @Override
  public void close() {
    informer.close();
    pods.close();
  }
}
