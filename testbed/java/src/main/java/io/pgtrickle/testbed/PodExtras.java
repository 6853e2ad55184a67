package io.pgtrickle.testbed;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.KeyToPath;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * What the pod player does for a PostgreSQL pod beyond Patroni itself (issue #17), kept apart from
 * {@link PatroniPods}:
 *
 * <ul>
 *   <li><b>Volumes</b>: every Secret and ConfigMap volume the pod's containers mount (the TLS
 *       files, PgBouncer's configuration and auth file, the exporter's queries) is written under
 *       the pod's directory with the volume's mode, owned by root and the pod's group as the
 *       kubelet's fsGroup does, and listed in {@code mounts} for testbed/pod-entry.sh to
 *       bind-mount. Like the kubelet, the files follow their Secret: when it changes, they are
 *       rewritten in place (atomically per file), and the members reload when the operator asks
 *       them to.
 *   <li><b>Sidecars</b>: the pod's other containers run inside the pod's namespaces, started by
 *       pod-entry.sh from {@code sidecars.sh}: their image's program (Debian's pgbouncer and
 *       prometheus-postgres-exporter, installed by hack/install-deps.sh sidecars) with the
 *       container's args and resolved environment, as the pod's unprivileged user; one that exits
 *       is started again after the kubelet's back-off, its exit status in its log. As for Patroni,
 *       pods share the host's network here, so what would listen on every address listens on the
 *       pod IP ({@code listen_addr} of pgbouncer.ini, the exporter's {@code --web.listen-address}).
 *   <li><b>Names</b> come from {@link ServiceRouting} (cluster DNS as a hosts file, which
 *       PatroniPods keeps a copy of for pod-entry.sh to bind-mount over /etc/hosts): members
 *       announce themselves as {@code POD.NAME-pods.NAMESPACE.svc} with TLS and verify each other's
 *       certificates against it, and clients reach {@code NAME-primary} and {@code NAME-pooler}.
 * </ul>
 *
 * Differences from a kubelet: a sidecar's restarts are not counted in the pod's status (its log
 * says), and a crash of the pod (the PostgreSQL container) takes its sidecars with it.
 */
final class PodExtras implements AutoCloseable {

  /**
   * Volumes PatroniPods and pod-entry.sh provide themselves (pgBackRest's configuration too, see
   * PodVolumeFiles).
   */
  private static final Set<String> BUILT_IN =
      Set.of("data", "patroni-config", "tmp", "run", "pgbackrest-config");

  /** Where the programs of the sidecar images are on this machine (Debian packages). */
  private static final Map<String, String> PROGRAMS =
      Map.of(
          "pgbouncer", "/usr/sbin/pgbouncer",
          "prometheus-postgres-exporter", "/usr/bin/prometheus-postgres-exporter",
          // pgBackRest 2.55.1, bind-mounted there in the pod's mount namespace (pod-entry.sh).
          "pgbackrest", "/usr/bin/pgbackrest");

  /** A Secret or ConfigMap volume written for a pod at {@code ip}. */
  private record Materialized(Path dir, Volume volume, String ip) {}

  private final KubernetesClient client;
  private final String namespace;
  private final Path volumes;
  private final String user = System.getenv().getOrDefault("PGTRICKLE_PG_USER", "pgtest");
  private final Map<String, List<Materialized>> bySecret = new ConcurrentHashMap<>();
  private final Map<String, List<Materialized>> byConfigMap = new ConcurrentHashMap<>();
  private final SharedIndexInformer<Secret> secrets;
  private final SharedIndexInformer<ConfigMap> configMaps;

  /**
   * @param volumes where the pods' Secret and ConfigMap volumes are written: outside the pods'
   *     directory, whose files PatroniPods hands to the unprivileged user, while a key must stay
   *     root's
   */
  PodExtras(KubernetesClient client, String namespace, Path volumes) {
    this.client = client;
    this.namespace = namespace;
    this.volumes = volumes;
    this.secrets = client.secrets().inNamespace(namespace).inform(onUpdate(this::refresh));
    this.configMaps = client.configMaps().inNamespace(namespace).inform(onUpdate(this::refresh));
  }

  private static <T> ResourceEventHandler<T> onUpdate(java.util.function.Consumer<T> refresh) {
    return new ResourceEventHandler<>() {
      @Override
      public void onAdd(T object) {}

      @Override
      public void onUpdate(T old, T object) {
        refresh.accept(object);
      }

      @Override
      public void onDelete(T object, boolean unknown) {}
    };
  }

  /**
   * Writes the pod's volumes, its {@code mounts} list and its {@code sidecars.sh}. Throws when a
   * Secret or ConfigMap it mounts does not exist yet (the kubelet would wait too).
   */
  void prepare(Pod pod, Path dir, String ip, Function<Container, Map<String, String>> env)
      throws IOException {
    List<String> mounts = new ArrayList<>();
    Map<String, Path> sources = new LinkedHashMap<>();
    for (Volume volume : pod.getSpec().getVolumes()) {
      if (!BUILT_IN.contains(volume.getName()) && volume.getPersistentVolumeClaim() != null) {
        // A claim of the pod's own (not its StatefulSet's template): one directory per claim in
        // the namespace, shared by every pod that mounts it, as a ReadWriteMany volume would be
        // (pgBackRest's repository volume). The pod user's, as fsGroup would make it.
        Path claim =
            volumes.resolve("claims").resolve(volume.getPersistentVolumeClaim().getClaimName());
        Files.createDirectories(claim);
        run("chown", user + ":" + user, claim.toString());
        run("chmod", "0770", claim.toString());
        sources.put(volume.getName(), claim);
        continue;
      }
      if (BUILT_IN.contains(volume.getName())
          || (volume.getSecret() == null && volume.getConfigMap() == null)) {
        continue;
      }
      Path target = volumes.resolve(pod.getMetadata().getName()).resolve(volume.getName());
      materialize(volume, target, ip);
      sources.put(volume.getName(), target);
      Map<String, List<Materialized>> users = volume.getSecret() != null ? bySecret : byConfigMap;
      List<Materialized> sameSource =
          users.computeIfAbsent(
              volume.getSecret() != null
                  ? volume.getSecret().getSecretName()
                  : volume.getConfigMap().getName(),
              k -> new java.util.concurrent.CopyOnWriteArrayList<>());
      // A recreated pod (same name, same directory, maybe another IP) replaces its predecessor.
      sameSource.removeIf(m -> m.dir().equals(target));
      sameSource.add(new Materialized(target, volume, ip));
    }
    for (Container container : pod.getSpec().getContainers()) {
      for (VolumeMount mount : container.getVolumeMounts()) {
        Path source = sources.get(mount.getName());
        String line = source + " " + mount.getMountPath();
        if (source != null && !mounts.contains(line)) {
          mounts.add(line);
        }
      }
    }
    Files.writeString(dir.resolve("mounts"), String.join("\n", mounts) + "\n");
    Files.writeString(dir.resolve("sidecars.sh"), sidecars(pod, dir, ip, env));
  }

  private String sidecars(
      Pod pod, Path dir, String ip, Function<Container, Map<String, String>> env) {
    StringBuilder script = new StringBuilder("# Written by the pod player (PodExtras).\n");
    List<Container> containers = pod.getSpec().getContainers();
    for (Container container : containers.subList(1, containers.size())) {
      List<String> command = new ArrayList<>();
      String program =
          container.getCommand() == null || container.getCommand().isEmpty()
              ? null
              : container.getCommand().get(0);
      if (program == null || !PROGRAMS.containsKey(program)) {
        throw new IllegalStateException(
            "the pod player runs no program for container " + container.getName());
      }
      command.add(PROGRAMS.get(program));
      for (String arg : container.getArgs()) {
        command.add(
            arg.startsWith("--web.listen-address=:") ? arg.replace("=:", "=" + ip + ":") : arg);
      }
      // pod-entry.sh's start_sidecar: the log opened before /tmp is hidden, the kubelet's
      // restarts, each exit in the log.
      StringBuilder line =
          new StringBuilder("start_sidecar ")
              .append(quote(container.getName()))
              .append(' ')
              .append(quote(dir.resolve(container.getName() + ".log").toString()))
              .append(" setpriv --reuid=")
              .append(user)
              .append(" --regid=")
              .append(user)
              .append(" --init-groups env -i PATH=/usr/sbin:/usr/bin:/bin");
      env.apply(container).forEach((k, v) -> line.append(' ').append(quote(k + "=" + v)));
      for (String part : command) {
        line.append(' ').append(quote(part));
      }
      line.append('\n');
      script.append(line);
    }
    return script.toString();
  }

  private void materialize(Volume volume, Path target, String ip) throws IOException {
    Map<String, byte[]> files = new LinkedHashMap<>();
    Integer mode;
    List<KeyToPath> items;
    if (volume.getSecret() != null) {
      Secret secret =
          client
              .secrets()
              .inNamespace(namespace)
              .withName(volume.getSecret().getSecretName())
              .get();
      if (secret == null) {
        throw new IllegalStateException(
            "Secret " + volume.getSecret().getSecretName() + " not found");
      }
      Map<String, String> data = secret.getData() == null ? Map.of() : secret.getData();
      data.forEach((k, v) -> files.put(k, Base64.getDecoder().decode(v)));
      mode = volume.getSecret().getDefaultMode();
      items = volume.getSecret().getItems();
    } else {
      ConfigMap map =
          client
              .configMaps()
              .inNamespace(namespace)
              .withName(volume.getConfigMap().getName())
              .get();
      if (map == null) {
        throw new IllegalStateException(
            "ConfigMap " + volume.getConfigMap().getName() + " not found");
      }
      files.putAll(configMapFiles(map, ip));
      mode = volume.getConfigMap().getDefaultMode();
      items = volume.getConfigMap().getItems();
    }
    write(target, files, items, mode == null ? 0644 : mode);
  }

  private void write(Path target, Map<String, byte[]> files, List<KeyToPath> items, int mode)
      throws IOException {
    Files.createDirectories(target);
    Map<String, byte[]> selected = new LinkedHashMap<>();
    if (items == null || items.isEmpty()) {
      selected.putAll(files);
    } else {
      for (KeyToPath item : items) {
        if (files.containsKey(item.getKey())) {
          selected.put(item.getPath(), files.get(item.getKey()));
        }
      }
    }
    for (Map.Entry<String, byte[]> file : selected.entrySet()) {
      Path tmp = target.resolve("." + file.getKey() + ".tmp");
      Files.write(tmp, file.getValue());
      run("chown", "root:" + user, tmp.toString());
      run("chmod", Integer.toOctalString(mode), tmp.toString());
      Files.move(tmp, target.resolve(file.getKey()), StandardCopyOption.ATOMIC_MOVE);
    }
    run("chmod", "0755", target.toString());
  }

  /** A ConfigMap's files for a pod at {@code ip}. */
  private static Map<String, byte[]> configMapFiles(ConfigMap map, String ip) {
    Map<String, byte[]> files = new LinkedHashMap<>();
    Map<String, String> data = map.getData() == null ? Map.of() : map.getData();
    // Pods share the host's network here: "every address" is the pod's own.
    data.forEach(
        (k, v) ->
            files.put(
                k,
                (k.equals("pgbouncer.ini")
                        ? v.replace("listen_addr = *", "listen_addr = " + ip)
                        : v)
                    .getBytes(StandardCharsets.UTF_8)));
    return files;
  }

  /**
   * The kubelet's part when a mounted ConfigMap changes: its files follow (PgBouncer's
   * configuration; a process reads them again only when told to).
   */
  private void refresh(ConfigMap map) {
    for (Materialized m : byConfigMap.getOrDefault(map.getMetadata().getName(), List.of())) {
      if (!Files.isDirectory(m.dir())) {
        continue;
      }
      try {
        Integer mode = m.volume().getConfigMap().getDefaultMode();
        write(
            m.dir(),
            configMapFiles(map, m.ip()),
            m.volume().getConfigMap().getItems(),
            mode == null ? 0644 : mode);
      } catch (IOException | RuntimeException e) {
        // The next change tries again.
      }
    }
  }

  /** The kubelet's part when a mounted Secret changes: its files follow. */
  private void refresh(Secret secret) {
    List<Materialized> users = bySecret.get(secret.getMetadata().getName());
    if (users == null) {
      return;
    }
    for (Materialized m : users) {
      if (!Files.isDirectory(m.dir())) {
        continue;
      }
      try {
        Map<String, byte[]> files = new LinkedHashMap<>();
        if (secret.getData() != null) {
          secret.getData().forEach((k, v) -> files.put(k, Base64.getDecoder().decode(v)));
        }
        Integer mode = m.volume().getSecret().getDefaultMode();
        write(m.dir(), files, m.volume().getSecret().getItems(), mode == null ? 0644 : mode);
      } catch (IOException | RuntimeException e) {
        // The next change tries again.
      }
    }
  }

  private static String quote(String s) {
    return "'" + s.replace("'", "'\\''") + "'";
  }

  private static void run(String... command) {
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      p.waitFor();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    secrets.close();
    configMaps.close();
  }
}
