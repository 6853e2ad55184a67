package io.pgtrickle.testbed;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How {@link PatroniPods} starts a database pod's container: the pod's files (Patroni's
 * configuration from the cluster's ConfigMap, pgBackRest's volume, the service account token), its
 * environment as the kubelet would give it, and the process, which no pod process outlives.
 */
final class PatroniLaunch {

  private static final Logger LOG = LoggerFactory.getLogger(PatroniLaunch.class);

  private PatroniLaunch() {}

  /**
   * Starts the pod's container: Patroni (with PostgreSQL) as the init of new mount and PID
   * namespaces, its output appended to {@code WORK/POD/patroni.log}.
   *
   * @param work the namespace's directory of the pod player
   * @param ip the pod's IP (Patroni and PostgreSQL listen there)
   * @return the {@code unshare} process
   */
  static Process start(
      TestBed testBed, KubernetesClient client, Path work, PodExtras extras, Pod pod, String ip)
      throws IOException {
    String namespace = pod.getMetadata().getNamespace();
    String name = pod.getMetadata().getName();
    Path dir = work.resolve(name);
    // Per claim incarnation: a claim created again under the same name is a new, empty volume.
    Path volume = MemberVolumes.of(client, work, pod);
    for (Path d :
        List.of(
            dir.resolve("config"),
            dir.resolve("serviceaccount"),
            dir.resolve("tmp"),
            dir.resolve("run"),
            volume)) {
      Files.createDirectories(d);
    }
    Container container = pod.getSpec().getContainers().get(0);
    String cluster = pod.getMetadata().getLabels().get("postgres.example.com/cluster");
    String config =
        client
            .configMaps()
            .inNamespace(namespace)
            .withName(cluster + "-patroni")
            .get()
            .getData()
            .get("patroni.yml");
    Files.writeString(dir.resolve("config/patroni.yml"), config);
    // pgBackRest's configuration volume (and the image's pgBackRest, see pod-entry.sh).
    Path pgbackrest = dir.resolve("pgbackrest");
    PodHost.deleteRecursively(pgbackrest);
    boolean backups = PodVolumeFiles.write(client, pod, container, "/etc/pgbackrest", pgbackrest);
    PodHost.writeServiceAccount(client, namespace, pod, dir.resolve("serviceaccount"));
    // This pod's files only: a recursive chown of the whole namespace directory handed another
    // running pod's root-owned Secret files (its pgBackRest TLS key, 0640) back to the pod user
    // while that pod's sidecar started, and pgBackRest's server refused the key ("has group or
    // other permissions") and exited (ReplicaBackupIT's backup then waited on a dead server).
    PodHost.chown(work, false);
    PodHost.chown(work.resolve("volumes"), false);
    PodHost.chown(dir, true);
    PodHost.chown(volume, true);
    PodVolumeFiles.rootOwnsModedFiles(pgbackrest);
    extras.prepare(pod, dir, ip, c -> PodEnvironment.of(client, pod, c, ip));

    Map<String, String> env = new LinkedHashMap<>(PodEnvironment.of(client, pod, container, ip));
    URI server = URI.create(client.getConfiguration().getMasterUrl());
    env.put("KUBERNETES_SERVICE_HOST", server.getHost());
    env.put("KUBERNETES_SERVICE_PORT", String.valueOf(server.getPort()));
    env.put("PATRONI_POSTGRESQL_LISTEN", ip + ":5432");
    env.put("PATRONI_RESTAPI_LISTEN", ip + ":8008");
    env.put("PATRONI_POSTGRESQL_BIN_DIR", PodHost.binDir(PodHost.major(container.getImage())));
    // The PyPI builds of PostgreSQL link libpqwalreceiver to libpq by a build-time RUNPATH that
    // does not exist here, so a standby loaded the system's older libpq (on 17: "invalid
    // connection option sslnegotiation" in Patroni's primary_conninfo) and never replicated.
    env.put(
        "LD_LIBRARY_PATH",
        Path.of(PodHost.binDir(PodHost.major(container.getImage())))
            .getParent()
            .resolve("lib")
            .toString());
    env.put("PATRONI_HOME", PatroniPods.PATRONI_HOME);
    // The major's binaries first, as the image's PATH has them (images/postgres/Dockerfile):
    // Patroni does not hand its PATRONI_* variables to the commands it runs (a custom bootstrap's
    // restore.sh started the machine's PostgreSQL 15 on a PostgreSQL 18 data directory).
    env.put(
        "PATH",
        PodHost.binDir(PodHost.major(container.getImage())) + ":/usr/local/bin:/usr/bin:/bin");
    if (backups) {
      env.put("TESTBED_PGBACKREST_BIN", PatroniPods.PGBACKREST);
    }

    // Kernel guarantees, so no pod process outlives the pod player however it ends (issue #18):
    // unshare dies with the thread that started it (setpriv --pdeathsig, see Spawner), Patroni,
    // the PID namespace's init, dies with unshare (--kill-child; pod-entry.sh sets it again after
    // the change of user), and the kernel kills everything left in a PID namespace whose init died.
    ProcessBuilder builder =
        new ProcessBuilder(
                "setpriv",
                "--pdeathsig",
                "KILL",
                "unshare",
                "--kill-child=SIGKILL",
                "--mount",
                "--pid",
                "--fork",
                "--mount-proc",
                "--propagation",
                "private",
                testBed.repositoryRootPath().resolve("testbed/pod-entry.sh").toString(),
                dir.toString(),
                volume.toString())
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("patroni.log").toFile()));
    builder.environment().clear();
    builder.environment().putAll(env);
    LOG.info("starting Patroni for pod {} on {}", name, ip);
    Process process = Spawner.start(builder);
    PodExec.exposeOnceStarted(client, pod, process);
    return process;
  }
}
