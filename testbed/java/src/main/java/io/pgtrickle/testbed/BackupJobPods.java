package io.pgtrickle.testbed;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerStateBuilder;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Plays the kubelet for the pods of the operator's backup Jobs (label {@code
 * app.kubernetes.io/component=backup}) in one namespace, for {@link PatroniPods}: once kwok gave a
 * pod its IP, its container's command and args run for real in the pod's own mount and PID
 * namespaces as the pod's user (testbed/pod-entry.sh with a command), with its resolved
 * environment, its pgBackRest configuration volume at {@code /etc/pgbackrest} (and the repository
 * claim, Secrets and ConfigMaps it mounts, {@link PodExtras}), the image's pgBackRest 2.55.1 and
 * the namespace's cluster DNS. When the program exits, the pod is reported as a kubelet reports a
 * {@code restartPolicy: Never} pod: phase Succeeded or Failed, the container terminated with its
 * exit code, and for a failure the last lines of its log as the termination message ({@code
 * FallbackToLogsOnError}: 80 lines, 2048 bytes at most). The Job controller then counts the failure
 * and makes the next pod, up to its {@code backoffLimit}. kwok's pod-complete stage leaves these
 * pods alone (testbed.sh: it skips {@code restartPolicy: Never} pods). A pod deleted while its
 * program runs gets SIGTERM, then SIGKILL after its grace period.
 */
final class BackupJobPods implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(BackupJobPods.class);
  static final String SELECTOR_KEY = "app.kubernetes.io/component";
  static final String SELECTOR_VALUE = "backup";

  /** How often a finished pod's status is written at most before giving up (about 85 s). */
  static final int REPORT_ATTEMPTS = 12;

  private final TestBed testBed;
  private final KubernetesClient client;
  private final String namespace;
  private final Path work;
  private final PodExtras extras;
  private final GracefulTermination termination;
  private final Map<String, Process> running = new ConcurrentHashMap<>();
  private final Set<String> done = ConcurrentHashMap.newKeySet();
  private final SharedIndexInformer<Pod> informer;
  private final String user = System.getenv().getOrDefault("PGTRICKLE_PG_USER", "pgtest");

  /**
   * @param work the namespace's pod directory of PatroniPods (its {@code hosts} copy is the pods'
   *     /etc/hosts)
   */
  BackupJobPods(TestBed testBed, String namespace, Path work, PodExtras extras) {
    this.testBed = testBed;
    this.client = testBed.client();
    this.namespace = namespace;
    this.work = work;
    this.extras = extras;
    this.termination = new GracefulTermination(client, namespace);
    this.informer =
        client
            .pods()
            .inNamespace(namespace)
            .withLabel(SELECTOR_KEY, SELECTOR_VALUE)
            .inform(
                new ResourceEventHandler<>() {
                  @Override
                  public void onAdd(Pod pod) {
                    reconcile(pod);
                  }

                  @Override
                  public void onUpdate(Pod old, Pod pod) {
                    reconcile(pod);
                  }

                  @Override
                  public void onDelete(Pod pod, boolean unknown) {
                    stop(key(pod), 0);
                  }
                });
  }

  private synchronized void reconcile(Pod pod) {
    String key = key(pod);
    if (pod.getMetadata().getDeletionTimestamp() != null) {
      long grace =
          pod.getSpec().getTerminationGracePeriodSeconds() == null
              ? 30
              : pod.getSpec().getTerminationGracePeriodSeconds();
      Thread t = new Thread(() -> stop(key, grace), "backup-job-pods-stop");
      t.setDaemon(true);
      t.start();
      return;
    }
    String ip = pod.getStatus() == null ? null : pod.getStatus().getPodIP();
    String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
    if (ip == null
        || running.containsKey(key)
        || done.contains(key)
        || "Succeeded".equals(phase)
        || "Failed".equals(phase)) {
      return;
    }
    try {
      termination.hold(pod);
      Process process = start(pod, ip);
      running.put(key, process);
      Instant started = Instant.now();
      process.onExit().thenRun(() -> exited(pod, key, process, started));
    } catch (IOException | RuntimeException e) {
      // As the kubelet does with a missing Secret or ConfigMap: the container waits.
      LOG.warn("cannot start backup pod {}: {}", pod.getMetadata().getName(), e.toString());
      try {
        KubeletStatus.waiting(
            client,
            namespace,
            pod.getMetadata().getName(),
            "CreateContainerConfigError",
            String.valueOf(e.getMessage()));
      } catch (RuntimeException ignored) {
        // reported again on the next event
      }
    }
  }

  private Process start(Pod pod, String ip) throws IOException {
    String name = pod.getMetadata().getName();
    Path dir = work.resolve(name);
    Path volume = dir.resolve("no-data");
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
    Path pgbackrest = dir.resolve("pgbackrest");
    boolean backups = PodVolumeFiles.write(client, pod, container, "/etc/pgbackrest", pgbackrest);
    TestBed.run(
        testBed.repositoryRootPath(),
        java.time.Duration.ofSeconds(30),
        "chown",
        "-R",
        user,
        dir.toString());
    PodVolumeFiles.rootOwnsModedFiles(pgbackrest);
    extras.prepare(pod, dir, ip, c -> PodEnvironment.of(client, pod, c, ip));

    Map<String, String> env = new LinkedHashMap<>(PodEnvironment.of(client, pod, container, ip));
    env.put("HOSTNAME", name);
    env.put("PATH", "/usr/local/bin:/usr/bin:/bin");
    if (backups) {
      env.put("TESTBED_PGBACKREST_BIN", PatroniPods.PGBACKREST);
    }
    List<String> command =
        new ArrayList<>(
            List.of(
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
                volume.toString()));
    if (container.getCommand() != null) {
      command.addAll(container.getCommand());
    }
    if (container.getArgs() != null) {
      command.addAll(container.getArgs());
    }
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log(name).toFile()));
    builder.environment().clear();
    builder.environment().putAll(env);
    LOG.info("starting backup pod {} on {}", name, ip);
    return Spawner.start(builder);
  }

  /** The log of a backup pod's container. */
  Path log(String pod) {
    return PodLogs.jobLog(work, pod);
  }

  private void exited(Pod pod, String key, Process process, Instant started) {
    if (!running.remove(key, process)) {
      return; // stopped on purpose (the pod was deleted)
    }
    done.add(key);
    int exit = process.exitValue();
    String name = pod.getMetadata().getName();
    LOG.info("backup pod {} exited {}", name, exit);
    String message = exit == 0 ? null : terminationMessage(log(name));
    if (!reported(pod, exit, started, message, 1)) {
      // As a kubelet keeps syncing a pod's status: again and again, else the Job never ends.
      Thread t =
          new Thread(
              () -> {
                for (int attempt = 2; attempt <= REPORT_ATTEMPTS; attempt++) {
                  try {
                    Thread.sleep(Math.min(1000L << (attempt - 2), 10_000L));
                  } catch (InterruptedException e) {
                    return;
                  }
                  if (reported(pod, exit, started, message, attempt)) {
                    return;
                  }
                }
                LOG.error("status of backup pod {} never reported: its Job hangs", name);
              },
              "backup-job-pods-report");
      t.setDaemon(true);
      t.start();
    }
    release(key);
  }

  /**
   * One try at {@link #report}.
   *
   * @return true when the status is written, or the pod is gone (nothing left to report)
   */
  private boolean reported(Pod pod, int exit, Instant started, String message, int attempt) {
    String name = pod.getMetadata().getName();
    try {
      report(pod, exit, started, message);
      if (attempt > 1) {
        LOG.info("status of backup pod {} reported at attempt {}", name, attempt);
      }
      return true;
    } catch (KubernetesClientException e) {
      if (e.getCode() == 404) {
        return true;
      }
      LOG.warn(
          "status of backup pod {} not reported (attempt {}): {}", name, attempt, e.toString());
      return false;
    } catch (RuntimeException e) {
      LOG.warn(
          "status of backup pod {} not reported (attempt {}): {}", name, attempt, e.toString());
      return false;
    }
  }

  /** The kubelet's report of a finished {@code restartPolicy: Never} pod. */
  private void report(Pod pod, int exit, Instant started, String message) {
    String now = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
    String uid = pod.getMetadata().getUid();
    client
        .pods()
        .inNamespace(namespace)
        .withName(pod.getMetadata().getName())
        .editStatus(
            p -> {
              if (!uid.equals(p.getMetadata().getUid()) || p.getStatus() == null) {
                return p;
              }
              p.getStatus().setPhase(exit == 0 ? "Succeeded" : "Failed");
              Container container = p.getSpec().getContainers().get(0);
              ContainerStatus status =
                  new ContainerStatusBuilder()
                      .withName(container.getName())
                      .withImage(container.getImage())
                      .withImageID("")
                      .withReady(false)
                      .withStarted(false)
                      .withRestartCount(0)
                      .withState(
                          new ContainerStateBuilder()
                              .withNewTerminated()
                              .withExitCode(exit)
                              .withReason(exit == 0 ? "Completed" : "Error")
                              .withMessage(message)
                              .withStartedAt(started.truncatedTo(ChronoUnit.SECONDS).toString())
                              .withFinishedAt(now)
                              .endTerminated()
                              .build())
                      .build();
              p.getStatus().setContainerStatuses(List.of(status));
              KubeletStatus.markReady(p, false);
              return p;
            });
  }

  /** FallbackToLogsOnError: the log's last 80 lines, at most its last 2048 bytes. */
  static String terminationMessage(Path log) {
    try {
      if (!Files.isRegularFile(log)) {
        return null;
      }
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      String tail = String.join("\n", lines.subList(Math.max(0, lines.size() - 80), lines.size()));
      byte[] bytes = tail.getBytes(StandardCharsets.UTF_8);
      return bytes.length <= 2048
          ? tail
          : new String(bytes, bytes.length - 2048, 2048, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return null;
    }
  }

  private void stop(String key, long graceSeconds) {
    Process process = running.remove(key);
    if (process != null) {
      process.descendants().findFirst().ifPresent(ProcessHandle::destroy);
      try {
        if (!process.waitFor(Math.max(graceSeconds, 1), TimeUnit.SECONDS)) {
          process.descendants().forEach(ProcessHandle::destroyForcibly);
          process.destroyForcibly();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    release(key);
  }

  private void release(String key) {
    int slash = key.indexOf('/');
    try {
      termination.release(key.substring(0, slash), key.substring(slash + 1));
    } catch (RuntimeException e) {
      LOG.debug("cannot release {}: {}", key, e.toString());
    }
  }

  private static String key(Pod pod) {
    return pod.getMetadata().getName() + "/" + pod.getMetadata().getUid();
  }

  @Override
  public synchronized void close() {
    informer.close();
    List.copyOf(running.keySet()).forEach(k -> stop(k, 5));
  }
}
