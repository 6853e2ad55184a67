package io.pgtrickle.testbed;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeProjection;
import io.fabric8.kubernetes.api.model.VolumeProjectionBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * Plays the kubelet's ConfigMap, Secret and projected volumes: writes the files of the volume a
 * container mounts at a path into a directory, which pod-entry.sh then mounts there. Keys become
 * files (items with their paths when listed); a ConfigMap or Secret that does not exist is an error
 * unless the source is optional, as the kubelet has it.
 */
final class PodVolumeFiles {

  private PodVolumeFiles() {}

  /**
   * Writes the volume {@code container} mounts at {@code mountPath} into {@code target}; returns
   * false (writing nothing) when it mounts nothing there.
   */
  static boolean write(
      KubernetesClient client, Pod pod, Container container, String mountPath, Path target)
      throws IOException {
    String namespace = pod.getMetadata().getNamespace();
    VolumeMount mount =
        container.getVolumeMounts() == null
            ? null
            : container.getVolumeMounts().stream()
                .filter(m -> mountPath.equals(m.getMountPath()))
                .findFirst()
                .orElse(null);
    if (mount == null) {
      return false;
    }
    Volume volume =
        pod.getSpec().getVolumes().stream()
            .filter(v -> v.getName().equals(mount.getName()))
            .findFirst()
            .orElseThrow(() -> new IOException("no volume " + mount.getName()));
    List<VolumeProjection> sources = new ArrayList<>();
    if (volume.getProjected() != null) {
      sources.addAll(volume.getProjected().getSources());
    }
    if (volume.getConfigMap() != null) {
      sources.add(
          new VolumeProjectionBuilder()
              .withNewConfigMap()
              .withName(volume.getConfigMap().getName())
              .withItems(volume.getConfigMap().getItems())
              .withOptional(volume.getConfigMap().getOptional())
              .endConfigMap()
              .build());
    }
    if (volume.getSecret() != null) {
      sources.add(
          new VolumeProjectionBuilder()
              .withNewSecret()
              .withName(volume.getSecret().getSecretName())
              .withItems(volume.getSecret().getItems())
              .withOptional(volume.getSecret().getOptional())
              .endSecret()
              .build());
    }
    Files.createDirectories(target);
    for (VolumeProjection source : sources) {
      if (source.getConfigMap() != null) {
        var ref = source.getConfigMap();
        ConfigMap map = client.configMaps().inNamespace(namespace).withName(ref.getName()).get();
        if (map == null) {
          if (Boolean.TRUE.equals(ref.getOptional())) {
            continue;
          }
          throw new IOException("ConfigMap " + ref.getName() + " not found");
        }
        writeKeys(target, map.getData(), ref.getItems(), false);
      } else if (source.getSecret() != null) {
        var ref = source.getSecret();
        Secret secret = client.secrets().inNamespace(namespace).withName(ref.getName()).get();
        if (secret == null) {
          if (Boolean.TRUE.equals(ref.getOptional())) {
            continue;
          }
          throw new IOException("Secret " + ref.getName() + " not found");
        }
        writeKeys(target, secret.getData(), ref.getItems(), true);
      }
    }
    return true;
  }

  private static void writeKeys(
      Path target,
      Map<String, String> data,
      List<io.fabric8.kubernetes.api.model.KeyToPath> items,
      boolean base64)
      throws IOException {
    if (data == null) {
      return;
    }
    for (Map.Entry<String, String> e : data.entrySet()) {
      String path = e.getKey();
      if (items != null && !items.isEmpty()) {
        path =
            items.stream()
                .filter(i -> i.getKey().equals(e.getKey()))
                .map(io.fabric8.kubernetes.api.model.KeyToPath::getPath)
                .findFirst()
                .orElse(null);
        if (path == null) {
          continue;
        }
      }
      Path file = target.resolve(path);
      Files.createDirectories(file.getParent());
      if (base64) {
        Files.write(file, Base64.getDecoder().decode(e.getValue()));
      } else {
        Files.writeString(file, e.getValue());
      }
      Integer mode =
          items == null
              ? null
              : items.stream()
                  .filter(i -> i.getKey().equals(e.getKey()))
                  .map(io.fabric8.kubernetes.api.model.KeyToPath::getMode)
                  .filter(java.util.Objects::nonNull)
                  .findFirst()
                  .orElse(null);
      if (mode != null) {
        // An item's mode, owned by root and the pod user's group as the kubelet's fsGroup has it
        // (pgBackRest accepts a root-owned key with mode 0640 and no more).
        Files.setPosixFilePermissions(file, permissions(mode));
        Files.getFileAttributeView(file, java.nio.file.attribute.PosixFileAttributeView.class)
            .setGroup(
                file.getFileSystem()
                    .getUserPrincipalLookupService()
                    .lookupPrincipalByGroupName(
                        System.getenv().getOrDefault("PGTRICKLE_PG_USER", "pgtest")));
      }
    }
  }

  private static java.util.Set<java.nio.file.attribute.PosixFilePermission> permissions(int mode) {
    java.util.Set<java.nio.file.attribute.PosixFilePermission> set =
        java.util.EnumSet.noneOf(java.nio.file.attribute.PosixFilePermission.class);
    java.nio.file.attribute.PosixFilePermission[] bits =
        java.nio.file.attribute.PosixFilePermission.values(); // OWNER_READ .. OTHERS_EXECUTE
    for (int i = 0; i < 9; i++) {
      if ((mode & (1 << (8 - i))) != 0) {
        set.add(bits[i]);
      }
    }
    return set;
  }

  /**
   * Gives the files written with an item mode (no permission for others) back to root, after the
   * pod player handed the pod's directory to the pod user: the kubelet's Secret files are root's,
   * readable by the pod's group (fsGroup).
   */
  static void rootOwnsModedFiles(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return;
    }
    var root = dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("root");
    try (var files = Files.walk(dir)) {
      for (Path file : files.filter(Files::isRegularFile).toList()) {
        if (!Files.getPosixFilePermissions(file)
            .contains(java.nio.file.attribute.PosixFilePermission.OTHERS_READ)) {
          Files.setOwner(file, root);
        }
      }
    }
  }
}
