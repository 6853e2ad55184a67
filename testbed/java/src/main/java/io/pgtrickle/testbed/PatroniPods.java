package io.pgtrickle.testbed;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Plays the kubelet and container runtime for the PostgreSQL pods of one namespace (and, through
 * {@link BackupJobPods}, for the pods of the operator's backup Jobs): when kwok has given a pod its
 * (loopback) IP, it runs real Patroni and PostgreSQL for it on that IP, with exactly what the pod
 * would get: Patroni's configuration from the {@code NAME-patroni} ConfigMap, the container's
 * environment (downward API and Secret references resolved), a token of the pod's ServiceAccount,
 * and its data volume (one directory per PVC, so a recreated pod finds its data again). Deleting
 * the pod stops its processes, and the pod object stays until they exited ({@link
 * GracefulTermination}). See testbed/pod-entry.sh for the container part (mount and PID
 * namespaces).
 *
 * <p>Two things differ from a real pod, because the pods here share the host's network: Patroni
 * listens on the pod IP rather than 0.0.0.0, and the image's environment (the PostgreSQL binary
 * directory) is supplied from the pod's image tag.
 */
public final class PatroniPods implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(PatroniPods.class);
  public static final String PATRONI_HOME = "/opt/pg-trickle/patroni-4.1.5";

  /** pgBackRest 2.55.1 (every major), extracted by hack/install-deps.sh pgbackrest. */
  public static final String PGBACKREST = "/opt/pg-trickle/pgbackrest-2.55.1/bin/pgbackrest";

  /** The namespaces some PatroniPods plays (their member pods' readiness is its probe's). */
  private static final java.util.Set<String> PLAYED = ConcurrentHashMap.newKeySet();

  private final TestBed testBed;
  private final KubernetesClient client;
  private final String namespace;
  private final Path work;
  private final SharedIndexInformer<Pod> informer;
  private final Map<String, Process> running = new ConcurrentHashMap<>();
  private final Map<String, String> ips = new ConcurrentHashMap<>();
  private final java.util.Set<String> backingOff = ConcurrentHashMap.newKeySet();
  private final CrashLoopBackOff restartBackOff = new CrashLoopBackOff();
  private final GracefulTermination termination;
  private final PodExtras extras;
  private final ServiceRouting routing;
  private final BackupJobPods backupJobs;
  private final PatroniReadiness readiness;
  private final MemberVolumes volumes;
  private final ScheduledExecutorService prober =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "patroni-readiness");
            t.setDaemon(true);
            return t;
          });
  private final ScheduledExecutorService restarter =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "patroni-restarts");
            t.setDaemon(true);
            return t;
          });

  public PatroniPods(TestBed testBed, String namespace) {
    this.testBed = testBed;
    this.client = testBed.client();
    this.namespace = namespace;
    PLAYED.add(namespace);
    this.work = PodLogs.podsDirectory(testBed, namespace);
    this.termination = new GracefulTermination(client, namespace);
    this.readiness =
        new PatroniReadiness(
            client,
            namespace,
            pod -> {
              if (!restarter.isShutdown()) {
                restarter.execute(() -> crash(pod));
              }
            });
    PodHost.mountMemoryBackedVolumes(work);
    this.volumes = new MemberVolumes(client, namespace, work);
    this.extras =
        new PodExtras(
            client,
            namespace,
            testBed.repositoryRootPath().resolve("target/testbed/pod-volumes").resolve(namespace));
    // Cluster DNS and Service routing shared with the namespace's program pods: NAME-primary and
    // the other Services get a virtual address with forwarders, members are found by their names
    // under the headless Service; pod-entry.sh bind-mounts this copy of the names over /etc/hosts.
    this.routing = ServiceRouting.open(testBed, namespace);
    routing.mirror(work.resolve("hosts"));
    // The operator's backup Jobs: their pods run pgBackRest for real (BackupJobPods).
    this.backupJobs = new BackupJobPods(testBed, namespace, work, extras);
    this.informer =
        client
            .pods()
            .inNamespace(namespace)
            .withLabel("app.kubernetes.io/component", "database")
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
                    stop(pod.getMetadata().getName(), pod.getMetadata().getUid(), false);
                  }
                });
    prober.scheduleWithFixedDelay(
        () -> readiness.probeAll(running.keySet(), ips), 1, 1, TimeUnit.SECONDS);
    // A JVM that exits without close() must not leave PostgreSQL servers behind.
    Runtime.getRuntime().addShutdownHook(new Thread(this::close, "patroni-pods-shutdown"));
  }

  /** Whether a PatroniPods plays {@code namespace} (in this JVM). */
  static boolean plays(String namespace) {
    return PLAYED.contains(namespace);
  }

  /**
   * SIGKILL of the pod's whole process tree, as when its container dies. Then the kubelet's part:
   * the container is reported terminated, and started again after the kubelet's back-off (at once
   * the first time, then 10 s, 20 s, ... for a pod that keeps crashing; see {@link
   * CrashLoopBackOff}). Returns that back-off.
   */
  public Duration crash(String pod) {
    Pod current = client.pods().inNamespace(namespace).withName(pod).get();
    if (current == null) {
      return Duration.ZERO;
    }
    String uid = current.getMetadata().getUid();
    String key = pod + "/" + uid;
    Duration backOff = restartBackOff.next(pod, java.time.Instant.now());
    // Held first, so no pod event in between starts the container before its back-off ends.
    backingOff.add(key);
    running.keySet().stream()
        .filter(k -> k.startsWith(pod + "/"))
        .toList()
        .forEach(k -> stop(pod, k.substring(pod.length() + 1), true));
    KubeletStatus.terminated(client, namespace, pod, uid);
    if (!backOff.isZero()) {
      KubeletStatus.backingOff(client, namespace, pod, uid);
    }
    restarter.schedule(
        () -> restartAfterCrash(pod, uid), backOff.toMillis(), TimeUnit.MILLISECONDS);
    return backOff;
  }

  /**
   * Wedges a pod's Patroni: {@code SIGSTOP} to its process (its PostgreSQL runs on), as a Patroni
   * stuck in a call that never returns. Its liveness probe then fails, and the container is
   * restarted as the kubelet would ({@link PatroniLiveness}).
   *
   * @return false when no Patroni runs for the pod
   */
  public boolean freeze(String pod) {
    var init =
        running.entrySet().stream()
            .filter(e -> e.getKey().startsWith(pod + "/"))
            .flatMap(e -> e.getValue().children().findFirst().stream())
            // Patroni as a PID namespace's init forks itself and only reaps orphans: the HA loop
            // and the REST API run in its child.
            .map(
                reaper ->
                    reaper
                        .children()
                        .filter(c -> c.info().commandLine().orElse("").contains("bin/patroni "))
                        .findFirst()
                        .orElse(reaper))
            .findFirst();
    if (init.isEmpty()) {
      return false;
    }
    LOG.info(
        "stopping Patroni of pod {}: pid {} ({})",
        pod,
        init.get().pid(),
        init.get().info().commandLine().orElse("?"));
    PodHost.run("kill", "-STOP", Long.toString(init.get().pid()));
    return true;
  }

  private void restartAfterCrash(String pod, String uid) {
    String key = pod + "/" + uid;
    backingOff.remove(key);
    Pod current = client.pods().inNamespace(namespace).withName(pod).get();
    if (current == null || !uid.equals(current.getMetadata().getUid())) {
      return;
    }
    reconcile(current);
    if (running.containsKey(key)) {
      KubeletStatus.restarted(client, namespace, pod, uid);
    }
  }

  /**
   * What runs for a pod, for a test's failure message: Patroni's process (the PID namespace's init)
   * and whether it is alive, or that none runs.
   */
  public String process(String pod) {
    return running.entrySet().stream()
        .filter(e -> e.getKey().startsWith(pod + "/"))
        .map(
            e ->
                e.getValue()
                    .descendants()
                    .findFirst()
                    .map(
                        init ->
                            "Patroni pid "
                                + init.pid()
                                + (init.isAlive() ? " alive" : " exited")
                                + ", started "
                                + init.info().startInstant().map(Object::toString).orElse("?"))
                    .orElse(e.getValue().isAlive() ? "no Patroni process yet" : "exited"))
        .findFirst()
        .orElse(
            backingOff.stream().anyMatch(k -> k.startsWith(pod + "/"))
                ? "backing off"
                : "not running");
  }

  /**
   * The last {@code lines} lines of a pod's Patroni log (every incarnation's), for a test's failure
   * message; empty when there is none.
   */
  public String logTail(String pod, int lines) {
    Path log = work.resolve(pod).resolve("patroni.log");
    return Files.isRegularFile(log) ? PodLogs.tail(log, lines) : "";
  }

  /** Pods whose Patroni log (every incarnation's) contains {@code text}. */
  public java.util.SortedSet<String> podsWhoseLogMentions(String text) {
    java.util.SortedSet<String> pods = new java.util.TreeSet<>();
    try (var dirs = Files.list(work)) {
      for (Path dir : dirs.toList()) {
        Path log = dir.resolve("patroni.log");
        if (Files.isRegularFile(log)
            && new String(Files.readAllBytes(log), StandardCharsets.UTF_8).contains(text)) {
          pods.add(dir.getFileName().toString());
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return pods;
  }

  private synchronized void reconcile(Pod pod) {
    String name = pod.getMetadata().getName();
    String key = name + "/" + pod.getMetadata().getUid();
    String ip = pod.getStatus() == null ? null : pod.getStatus().getPodIP();
    if (pod.getMetadata().getDeletionTimestamp() != null) {
      stop(name, pod.getMetadata().getUid(), false);
      termination.release(name, pod.getMetadata().getUid());
      return;
    }
    if (ip == null || running.containsKey(key) || backingOff.contains(key)) {
      return;
    }
    // A recreated pod (same name, new UID) must wait until its predecessor's processes are gone,
    // as the kubelet does: both would use the same volume, and PostgreSQL's lock file cannot see
    // a postmaster in another PID namespace. stop() starts it once the old one has exited.
    if (running.keySet().stream().anyMatch(k -> k.startsWith(name + "/"))) {
      return;
    }
    try {
      termination.hold(pod);
      running.put(key, PatroniLaunch.start(testBed, client, work, extras, pod, ip));
      ips.put(key, ip);
    } catch (IOException | RuntimeException e) {
      LOG.error("cannot start Patroni for pod {}: {}", name, e.toString());
      // As the kubelet waits for a Secret or ConfigMap a pod mounts: try again shortly.
      if (!restarter.isShutdown()) {
        restarter.schedule(
            () -> {
              Pod current = client.pods().inNamespace(namespace).withName(name).get();
              if (current != null) {
                reconcile(current);
              }
            },
            2,
            TimeUnit.SECONDS);
      }
    }
  }

  private void stop(String pod, String uid, boolean crash) {
    String key = pod + "/" + uid;
    ips.remove(key);
    Process process = running.get(key);
    if (process == null) {
      return;
    }
    // unshare forwards nothing: signal its child, the PID namespace's init, which is Patroni.
    process
        .descendants()
        .findFirst()
        .ifPresent(
            init -> {
              if (crash) {
                init.destroyForcibly();
              } else {
                init.destroy();
              }
            });
    try {
      if (!process.waitFor(crash ? 10 : 40, TimeUnit.SECONDS)) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    running.remove(key);
    if (!crash && !prober.isShutdown()) {
      Pod successor = client.pods().inNamespace(namespace).withName(pod).get();
      if (successor != null && !uid.equals(successor.getMetadata().getUid())) {
        reconcile(successor);
      }
    }
  }

  /** The log of a backup Job's pod (its container's output), for a test's failure message. */
  public Path backupJobLog(String pod) {
    return backupJobs.log(pod);
  }

  /** Cluster DNS and Service routing of the namespace (shared with its program pods). */
  public ServiceRouting routing() {
    return routing;
  }

  @Override
  public synchronized void close() {
    if (prober.isShutdown()) {
      return;
    }
    prober.shutdownNow();
    restarter.shutdownNow();
    PLAYED.remove(namespace);
    informer.close();
    volumes.close();
    backupJobs.close();
    extras.close();
    routing.unmirror(work.resolve("hosts"));
    routing.close();
    running.keySet().stream()
        .toList()
        .forEach(
            key -> {
              int slash = key.indexOf('/');
              stop(key.substring(0, slash), key.substring(slash + 1), false);
              try {
                termination.release(key.substring(0, slash), key.substring(slash + 1));
              } catch (RuntimeException e) {
                // The API server is gone (JVM shutdown): nothing left to hold back.
              }
            });
    PodHost.run("umount", "--lazy", work.toString());
  }
}
