package io.pgtrickle.testbed;

import io.fabric8.kubernetes.api.model.storage.StorageClassBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;

/**
 * StorageClasses for tests of volume expansion: the API server lets a bound claim's storage request
 * grow only when its StorageClass has {@code allowVolumeExpansion: true} (its
 * PersistentVolumeClaimResize admission). {@link VolumeProvisioner} provisions and grows their
 * volumes. StorageClasses are cluster-scoped: a test deletes its own.
 */
public final class TestStorageClasses {

  private TestStorageClasses() {}

  /** Creates the StorageClass {@code name} that allows (or not) volume expansion. */
  public static void create(KubernetesClient client, String name, boolean allowVolumeExpansion) {
    create(client, name, allowVolumeExpansion, java.util.Map.of());
  }

  /**
   * Creates the StorageClass {@code name} that allows volume expansion and grows file systems only
   * when a pod mounts the volume again ({@link VolumeProvisioner#EXPANSION_PARAMETER} {@code
   * offline}).
   */
  public static void createOffline(KubernetesClient client, String name) {
    create(client, name, true, java.util.Map.of(VolumeProvisioner.EXPANSION_PARAMETER, "offline"));
  }

  private static void create(
      KubernetesClient client,
      String name,
      boolean allowVolumeExpansion,
      java.util.Map<String, String> parameters) {
    client
        .storage()
        .v1()
        .storageClasses()
        .resource(
            new StorageClassBuilder()
                .withNewMetadata()
                .withName(name)
                .endMetadata()
                .withProvisioner("pgtrickle.io/test-bed")
                .withAllowVolumeExpansion(allowVolumeExpansion)
                .withParameters(parameters)
                .build())
        .create();
  }

  /** Sets {@code allowVolumeExpansion} of an existing StorageClass (a field that may change). */
  public static void allowVolumeExpansion(KubernetesClient client, String name, boolean allow) {
    client
        .storage()
        .v1()
        .storageClasses()
        .withName(name)
        .edit(
            sc -> {
              sc.setAllowVolumeExpansion(allow);
              return sc;
            });
  }

  /** Deletes the StorageClass {@code name}, if it exists. */
  public static void delete(KubernetesClient client, String name) {
    client.storage().v1().storageClasses().withName(name).delete();
  }
}
